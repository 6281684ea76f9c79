import { randomUUID } from 'crypto';

// The device actor's side of server-side RPC and shared-attribute updates (DeviceActorMessageProcessor, actors.rpc
// submit_strategy BURST, the default): which sessions subscribed, which RPCs wait, and how each one ends.
// A device session subscribes by SUBSCRIBE (v1/devices/me/rpc/request/+, v1/devices/me/attributes); a gateway
// subscribes a device for both at once by connecting it (v1/gateway/connect or its first message) — per session.

/** Where one session delivers the pushes for one device. */
export interface DeviceDownlink {
    /** a server-side RPC request; `params` is the request's params as JSON text */
    rpcRequest(requestId: number, method: string, params: string): void;
    /** a shared-attribute update: `{"k":v,…}` and/or `{"deleted":["k",…]}` (JsonConverter.toJson(AttributeUpdateNotificationMsg)) */
    attributeUpdate(update: Record<string, unknown>): void;
}

/** How an RPC ends, as FromDeviceRpcResponse: a response text (possibly empty), or an error. */
export type RpcOutcome = { response?: string } | { error: 'TIMEOUT' | 'NO_ACTIVE_CONNECTION' };

export interface ToDeviceRpc {
    method: string;
    /** JSON text (JacksonUtil.toString of the request's params; "null" when absent) */
    params: string;
    oneway: boolean;
    persistent: boolean;
    /** epoch ms */
    expirationTime: number;
    id?: string;
}

interface PendingRpc {
    rpc: ToDeviceRpc & { id: string };
    /** a session had subscribed when the request arrived (ToDeviceRpcRequestMetadata.sent; never updated later) */
    sent: boolean;
    finish: (outcome: RpcOutcome) => void;
    timer: NodeJS.Timeout;
}

/** DefaultTbCoreDeviceRpcService: the rule-engine timeout answers TIMEOUT one second after the expiration time. */
const RULE_ENGINE_GRACE_MS = 1000;

class DeviceActor {
    readonly rpcSubscriptions = new Set<DeviceDownlink>();
    readonly attributeSubscriptions = new Set<DeviceDownlink>();
    private readonly pending = new Map<number, PendingRpc>();
    private rpcSeq = 0;

    toDeviceRpc(rpc: ToDeviceRpc & { id: string }, finish: (outcome: RpcOutcome) => void): void {
        const timeout = rpc.expirationTime - Date.now();
        if (timeout <= 0) {
            // ignored by the actor; the REST caller hears the rule engine's TIMEOUT
            setTimeout(() => finish({ error: 'TIMEOUT' }), RULE_ENGINE_GRACE_MS).unref();
            return;
        }
        const requestId = this.rpcSeq++;
        const sent = this.rpcSubscriptions.size > 0;
        for (const link of this.rpcSubscriptions) link.rpcRequest(requestId, rpc.method, rpc.params);
        if (rpc.persistent) finish({ response: JSON.stringify({ rpcId: rpc.id }) });
        if (!rpc.persistent && rpc.oneway && sent) return finish({});
        const timer = setTimeout(() => {
            if (this.pending.get(requestId)?.timer !== timer) return;
            this.pending.delete(requestId);
            finish({ error: sent ? 'TIMEOUT' : 'NO_ACTIVE_CONNECTION' });
        }, timeout);
        timer.unref();
        this.pending.set(requestId, { rpc, sent, finish, timer });
    }

    /** processRpcResponses: the device's reply text; a reply to an unknown or finished request is stale and dropped. */
    rpcResponse(requestId: number, payload: string): boolean {
        const entry = this.pending.get(requestId);
        if (!entry) return false;
        clearTimeout(entry.timer);
        this.pending.delete(requestId);
        entry.finish({ response: payload });
        return true;
    }

    subscribeRpc(link: DeviceDownlink): void {
        this.rpcSubscriptions.add(link);
        // sendPendingRequests (ASYNC session): every waiting request goes out again, one-way ones end 200 right away
        for (const [requestId, entry] of [...this.pending]) {
            if (entry.rpc.oneway) {
                entry.finish({});
                if (!entry.rpc.persistent) {
                    clearTimeout(entry.timer);
                    this.pending.delete(requestId);
                }
            }
            link.rpcRequest(requestId, entry.rpc.method, entry.rpc.params);
        }
    }

    remove(link: DeviceDownlink): void {
        this.rpcSubscriptions.delete(link);
        this.attributeSubscriptions.delete(link);
    }

    get pendingCount(): number {
        return this.pending.size;
    }

    /** Server shutdown: every waiting request ends now, as it would have at its timeout (nothing waits for ever). */
    stop(): void {
        for (const entry of this.pending.values()) {
            clearTimeout(entry.timer);
            entry.finish({ error: entry.sent ? 'TIMEOUT' : 'NO_ACTIVE_CONNECTION' });
        }
        this.pending.clear();
    }
}

/** One actor per device id, created on first use. */
export class DeviceActors {
    private readonly actors = new Map<string, DeviceActor>();

    private actor(deviceId: string): DeviceActor {
        let actor = this.actors.get(deviceId);
        if (!actor) this.actors.set(deviceId, (actor = new DeviceActor()));
        return actor;
    }

    /** A server-side RPC (from REST); resolves once, with the outcome the REST controller turns into a status. */
    toDeviceRpc(deviceId: string, rpc: ToDeviceRpc): Promise<RpcOutcome> {
        return new Promise((resolve) => {
            let done = false;
            const finish = (outcome: RpcOutcome): void => {
                if (done) return;
                done = true;
                resolve(outcome);
            };
            this.actor(deviceId).toDeviceRpc({ ...rpc, id: rpc.id ?? randomUUID() }, finish);
        });
    }

    rpcResponse(deviceId: string, requestId: number, payload: string): boolean {
        return this.actor(deviceId).rpcResponse(requestId, payload);
    }

    subscribeRpc(deviceId: string, link: DeviceDownlink): void {
        this.actor(deviceId).subscribeRpc(link);
    }

    unsubscribeRpc(deviceId: string, link: DeviceDownlink): void {
        this.actors.get(deviceId)?.rpcSubscriptions.delete(link);
    }

    subscribeAttributes(deviceId: string, link: DeviceDownlink): void {
        this.actor(deviceId).attributeSubscriptions.add(link);
    }

    unsubscribeAttributes(deviceId: string, link: DeviceDownlink): void {
        this.actors.get(deviceId)?.attributeSubscriptions.delete(link);
    }

    /** The session's close event: its subscriptions for this device end. */
    sessionClosed(deviceId: string, link: DeviceDownlink): void {
        this.actors.get(deviceId)?.remove(link);
    }

    /** processAttributesUpdate for SHARED_SCOPE values saved on the device. */
    sharedAttributesUpdated(deviceId: string, values: Record<string, unknown>): void {
        if (Object.keys(values).length === 0) return;
        for (const link of this.actors.get(deviceId)?.attributeSubscriptions ?? []) link.attributeUpdate({ ...values });
    }

    /** processAttributesUpdate for deleted SHARED_SCOPE keys. */
    sharedAttributesDeleted(deviceId: string, keys: string[]): void {
        if (keys.length === 0) return;
        for (const link of this.actors.get(deviceId)?.attributeSubscriptions ?? []) link.attributeUpdate({ deleted: [...keys] });
    }

    /** How many sessions get RPC / attribute pushes for the device, and how many RPCs wait (for tests). */
    subscribers(deviceId: string): { rpc: number; attributes: number; pendingRpc: number } {
        const actor = this.actors.get(deviceId);
        return { rpc: actor?.rpcSubscriptions.size ?? 0, attributes: actor?.attributeSubscriptions.size ?? 0, pendingRpc: actor?.pendingCount ?? 0 };
    }

    stop(): void {
        for (const actor of this.actors.values()) actor.stop();
    }
}
