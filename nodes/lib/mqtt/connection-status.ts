/**
 * The status every tb-x509-mqtt-out of a connection shows, in catalog terms
 * (`status.<key>` + English), so the node layer only renders it.
 */
import type { ConnectionState } from './shared-connection';
import { STATUS, type MqttStatusKey } from './messages';

export interface ConnectionStatusSpec {
    fill: 'red' | 'green' | 'yellow' | 'grey';
    shape: 'dot' | 'ring';
    key: MqttStatusKey;
    english: string;
    params: Record<string, string | number>;
    /** for 'mqtt-queued-reason': the reason's own status key, rendered first */
    reasonKey?: MqttStatusKey;
}

function spec(
    fill: ConnectionStatusSpec['fill'],
    shape: ConnectionStatusSpec['shape'],
    key: MqttStatusKey,
    params: Record<string, string | number> = {},
    reasonKey?: MqttStatusKey,
): ConnectionStatusSpec {
    return { fill, shape, key, english: STATUS[key], params, reasonKey };
}

export function connectionStatus(state: ConnectionState): ConnectionStatusSpec {
    switch (state.phase) {
        case 'connected':
            if (state.rateLimited && state.queued > 0) return spec('yellow', 'dot', 'mqtt-rate-limited', { count: state.queued });
            return spec('green', 'dot', 'mqtt-connected');
        case 'idle':
        case 'closed':
            return spec('red', 'ring', 'mqtt-disconnected');
        case 'connecting':
            if (state.blocking && state.failure) return failed(state);
            return state.queued > 0 ? spec('yellow', 'ring', 'mqtt-queued', { count: state.queued }) : spec('yellow', 'ring', 'mqtt-connecting');
        case 'waiting':
            if (!state.failure) return spec('yellow', 'ring', 'mqtt-connecting');
            if (state.blocking || state.queued === 0) return failed(state);
            return spec('yellow', 'ring', 'mqtt-queued-reason', { count: state.queued, reason: STATUS[state.failure.status] }, state.failure.status);
    }
}

function failed(state: ConnectionState): ConnectionStatusSpec {
    const status = state.failure?.status ?? 'mqtt-disconnected';
    return spec('red', 'ring', status, state.heldBy !== undefined ? { other: state.heldBy } : {});
}
