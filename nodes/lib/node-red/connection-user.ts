import type { Node, NodeAPI } from 'node-red';
import type { CodedError } from '../errors';
import { connectionStatus } from '../mqtt/connection-status';
import { fail, STATUS } from '../mqtt/messages';
import type { ConnectionState, ConnectionUser } from '../mqtt/shared-connection';
import type { TbX509ConfigNode } from './config-node';
import { toUserError, translate, userMessage } from './i18n';
import { renderStatus } from './status';

/** A flow node as a user of the config's connection: its status follows the connection, warnings go to its log. */
export function connectionUser(RED: NodeAPI, node: Node): ConnectionUser {
    let lastStatus = '';
    return {
        onState(state: ConnectionState) {
            const status = connectionStatus(state);
            const params = { ...status.params };
            if (status.reasonKey) params.reason = translate(RED, `status.${status.reasonKey}`, STATUS[status.reasonKey]);
            const rendered = renderStatus(RED, { ...status, params });
            const signature = `${rendered.fill}|${rendered.shape}|${rendered.text}`;
            if (signature === lastStatus) return;
            lastStatus = signature;
            node.status(rendered);
        },
        onWarning(warning: CodedError) {
            node.warn(userMessage(RED, warning));
        },
        log: { error: (text: string) => node.error(text) },
    };
}

/**
 * A fleet config (one connection per msg.deviceName) for a node that works on one device's connection:
 * a red status, one error now, and every msg fails saying so. True when that is the case.
 */
export function refuseFleet(RED: NodeAPI, node: Node, config: TbX509ConfigNode, type: string): boolean {
    if (config.runtime.settings.identityMode !== 'fleet') return false;
    const err = fail('TWOWAY_FLEET_UNSUPPORTED', { type, config: config.runtime.settings.label });
    node.status(renderStatus(RED, { fill: 'red', shape: 'ring', key: 'mqtt-fleet-unsupported', english: STATUS['mqtt-fleet-unsupported'] }));
    node.error(userMessage(RED, err));
    node.on('input', (_msg: unknown, _send: unknown, done: (err?: Error) => void) => done(toUserError(RED, err)));
    return true;
}

/** Without a config: a red status, one error now, and every msg fails saying so. */
export function withoutConfig(RED: NodeAPI, node: Node): void {
    node.status(renderStatus(RED, { fill: 'red', shape: 'ring', key: 'mqtt-no-config', english: STATUS['mqtt-no-config'] }));
    node.error(userMessage(RED, fail('MQTT_NO_CONFIG')));
    node.on('input', (_msg: unknown, _send: unknown, done: (err?: Error) => void) => {
        done(toUserError(RED, fail('MQTT_NO_CONFIG')));
    });
}
