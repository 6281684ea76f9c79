import type { Node, NodeAPI } from 'node-red';
import type { CodedError } from '../errors';
import { connectionStatus, type ConnectionStatusSpec } from '../mqtt/connection-status';
import type { FleetUser } from '../mqtt/fleet-pool';
import { fleetStatus } from '../mqtt/fleet-status';
import { fail, STATUS } from '../mqtt/messages';
import type { ConnectionState, ConnectionUser } from '../mqtt/shared-connection';
import { toUserError, translate, userMessage } from './i18n';
import { renderStatus } from './status';

/** Shows a status spec, translated, when it differs from the last one shown. */
function statusShower(RED: NodeAPI, node: Node): (status: ConnectionStatusSpec) => void {
    let lastStatus = '';
    return (status) => {
        const params = { ...status.params };
        if (status.reasonKey) params.reason = translate(RED, `status.${status.reasonKey}`, STATUS[status.reasonKey]);
        const rendered = renderStatus(RED, { ...status, params });
        const signature = `${rendered.fill}|${rendered.shape}|${rendered.text}`;
        if (signature === lastStatus) return;
        lastStatus = signature;
        node.status(rendered);
    };
}

/** A flow node as a user of the config's connection: its status follows the connection, warnings go to its log. */
export function connectionUser(RED: NodeAPI, node: Node): ConnectionUser {
    const show = statusShower(RED, node);
    return {
        onState: (state: ConnectionState) => show(connectionStatus(state)),
        onWarning(warning: CodedError) {
            node.warn(userMessage(RED, warning));
        },
        log: { error: (text: string) => node.error(text) },
    };
}

/** A flow node as a user of a fleet config's device connections: its status is theirs summed. */
export function fleetUser(RED: NodeAPI, node: Node): FleetUser {
    const show = statusShower(RED, node);
    return {
        onState: (state) => show(fleetStatus(state.devices)),
        onWarning(warning: CodedError) {
            node.warn(userMessage(RED, warning));
        },
        log: { error: (text: string) => node.error(text) },
    };
}

/** Without a config: a red status, one error now, and every msg fails saying so. */
export function withoutConfig(RED: NodeAPI, node: Node): void {
    node.status(renderStatus(RED, { fill: 'red', shape: 'ring', key: 'mqtt-no-config', english: STATUS['mqtt-no-config'] }));
    node.error(userMessage(RED, fail('MQTT_NO_CONFIG')));
    node.on('input', (_msg: unknown, _send: unknown, done: (err?: Error) => void) => {
        done(toUserError(RED, fail('MQTT_NO_CONFIG')));
    });
}
