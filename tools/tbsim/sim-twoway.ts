import { ClientRpcHandlers, type ClientRpcHandler } from './client-rpc';
import { DeviceActors, type RpcOutcome } from './device-actors';
import type { MqttServer } from './mqtt';
import { RC } from './mqtt-codes';
import type { TenantStore } from './store';

// The two-way part of tbsim's options and of the object startTbsim returns: server-side RPC, shared attributes,
// device-to-server RPC answers, and hooks for tests.

export interface TwoWayOptions {
    /**
     * Answers to device-to-server RPC by method, standing for the tenant's rule chain, e.g.
     * { getCurrentTime: () => ({ time: Date.now() }) }; the return value (or its Promise) is sent as JSON, a throw as
     * {"error": message}. Methods without a handler time out as above. getSessionLimits is always the transport's.
     */
    clientRpcHandlers?: Record<string, ClientRpcHandler>;
    /** server.rest.server_side_rpc.min_timeout: a REST RPC waits at least this long; default 5000 */
    serverSideRpcMinTimeoutMs?: number;
    /** server.rest.server_side_rpc.default_timeout: for a REST RPC without "timeout"; default 10000 */
    serverSideRpcDefaultTimeoutMs?: number;
}

export interface TbsimTwoWay {
    /** Sets (or with undefined removes) the answer to the device-to-server RPC `method`; see clientRpcHandlers. */
    onClientRpc(method: string, handler: ClientRpcHandler | undefined): void;
    /** Shared-scope attributes of the device (what REST SHARED_SCOPE posts set). */
    sharedAttributes(deviceId: string): Record<string, unknown>;
    /**
     * How many sessions get the device's RPC requests and shared-attribute updates (direct or through a gateway), and
     * how many server-side RPCs wait for an answer or a subscriber.
     */
    pushSubscribers(deviceId: string): { rpc: number; attributes: number; pendingRpc: number };
    /** A server-side RPC as the REST API sends it, without HTTP; resolves with the device actor's outcome. */
    sendRpc(deviceId: string, rpc: { method: string; params?: unknown; oneway?: boolean; persistent?: boolean; timeoutMs?: number }): Promise<RpcOutcome>;
    /**
     * Test hook, not something ThingsBoard does: publishes `payload` as it is (e.g. text that is not JSON) on the
     * device's own session, QoS 1. False when the device has no session.
     */
    pushRaw(deviceId: string, topic: string, payload: string | Buffer): boolean;
    /** Closes the device's own session as an administrative action (MQTT 5: DISCONNECT 0x98). */
    kick(deviceId: string): void;
}

export interface TwoWayParts {
    actors: DeviceActors;
    clientRpc: ClientRpcHandlers;
    serverSideRpc: { minTimeoutMs: number; defaultTimeoutMs: number };
}

export function twoWayParts(opts: TwoWayOptions): TwoWayParts {
    return {
        actors: new DeviceActors(),
        clientRpc: new ClientRpcHandlers(opts.clientRpcHandlers),
        serverSideRpc: { minTimeoutMs: opts.serverSideRpcMinTimeoutMs ?? 5000, defaultTimeoutMs: opts.serverSideRpcDefaultTimeoutMs ?? 10000 },
    };
}

export function twoWayApi({ actors, clientRpc, serverSideRpc }: TwoWayParts, store: TenantStore, mqtt: MqttServer): TbsimTwoWay {
    return {
        onClientRpc(method, fn): void {
            clientRpc.set(method, fn);
        },
        sharedAttributes(deviceId): Record<string, unknown> {
            return Object.fromEntries(Object.entries(store.attributes(deviceId, 'SHARED_SCOPE')).map(([k, v]) => [k, v.value]));
        },
        pushSubscribers: (deviceId) => actors.subscribers(deviceId),
        sendRpc(deviceId, rpc): Promise<RpcOutcome> {
            const timeout = Math.max(serverSideRpc.minTimeoutMs, rpc.timeoutMs ?? serverSideRpc.defaultTimeoutMs);
            return actors.toDeviceRpc(deviceId, {
                method: rpc.method,
                params: rpc.params === undefined ? 'null' : JSON.stringify(rpc.params),
                oneway: rpc.oneway ?? false,
                persistent: rpc.persistent ?? false,
                expirationTime: Date.now() + timeout,
            });
        },
        pushRaw(deviceId, topic, payload): boolean {
            return mqtt.publishRaw(deviceId, topic, typeof payload === 'string' ? Buffer.from(payload) : payload);
        },
        kick(deviceId): void {
            mqtt.kickDevice(deviceId, RC.ADMINISTRATIVE_ACTION);
        },
    };
}
