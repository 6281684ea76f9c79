/**
 * The status of a fleet config's tb-x509-mqtt-out nodes: its device connections summed
 * ("N connected, M queued") and, when some fail, how many and the worst of their failures,
 * so one broken device among a thousand still shows.
 */
import type { ConnectionState } from './connection-types';
import type { ConnectionStatusSpec } from './connection-status';
import { STATUS, type MqttStatusKey } from './messages';

/** Worse failures first: a permanent one needs the user, a contended one another program, a transient one only time. */
const SEVERITY = { permanent: 3, contended: 2, transient: 1 } as const;

function severityOf(state: ConnectionState): number {
    if (!state.failure || state.phase === 'connected' || state.phase === 'idle' || state.phase === 'closed') return 0;
    return state.blocking ? SEVERITY.permanent : SEVERITY[state.failure.class];
}

export function fleetStatus(devices: Iterable<ConnectionState>): ConnectionStatusSpec {
    let connected = 0;
    let queued = 0;
    let total = 0;
    let failing = 0;
    let worst: ConnectionState | undefined;
    let worstSeverity = 0;
    for (const state of devices) {
        total++;
        queued += state.queued;
        if (state.phase === 'connected') connected++;
        const severity = severityOf(state);
        if (severity === 0) continue;
        failing++;
        if (severity > worstSeverity) {
            worst = state;
            worstSeverity = severity;
        }
    }
    const params = { connected, queued };
    if (worst?.failure) {
        const reasonKey: MqttStatusKey = worst.failure.status;
        const fill = worstSeverity === SEVERITY.permanent ? 'red' : 'yellow';
        return { fill, shape: 'ring', key: 'mqtt-fleet-failure', english: STATUS['mqtt-fleet-failure'], params: { ...params, failing, reason: STATUS[reasonKey] }, reasonKey };
    }
    // every open device connected: green, as single mode shows a connected connection with messages in flight
    const allConnected = total > 0 && connected === total;
    const fill = total === 0 ? 'grey' : allConnected ? 'green' : 'yellow';
    return { fill, shape: allConnected ? 'dot' : 'ring', key: 'mqtt-fleet', english: STATUS['mqtt-fleet'], params };
}
