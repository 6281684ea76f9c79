import * as path from 'path';
import type * as MqttPacket from 'mqtt-packet';

// mqtt-packet is a devDependency of this package but always present as a dependency of mqtt (a runtime dependency):
// load it directly when hoisted, else from beside mqtt, so tbsim also runs from an installed package.
function load(): typeof MqttPacket {
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        return require('mqtt-packet') as typeof MqttPacket;
    } catch {
        const besideMqtt = path.dirname(require.resolve('mqtt'));
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        return require(require.resolve('mqtt-packet', { paths: [besideMqtt] })) as typeof MqttPacket;
    }
}

export const mqttPacket = load();
export type { MqttPacket };
