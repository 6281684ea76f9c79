import type { DeviceActors, DeviceDownlink } from './device-actors';
import type { SessionContext } from './session-context';

// A device session's own pushes (MqttTransportHandler onToDeviceRpcRequest / onAttributeUpdate, JsonMqttAdaptor):
// the session becomes an RPC or attribute subscriber of its device actor by SUBSCRIBE, stops by UNSUBSCRIBE or
// closing, and the push topic follows the topic type of its last subscription (rpcSubTopicType, attrSubTopicType).

const RPC_SUBSCRIPTIONS: Record<string, string> = {
    'v1/devices/me/rpc/request/+': 'v1/devices/me/rpc/request/',
    'v2/r/req/+': 'v2/r/req/',
};
const ATTRIBUTE_SUBSCRIPTIONS: Record<string, string> = {
    'v1/devices/me/attributes': 'v1/devices/me/attributes',
    'v2/a': 'v2/a',
};

export class SessionDownlink implements DeviceDownlink {
    private rpcTopicBase = 'v1/devices/me/rpc/request/';
    private attributesTopic = 'v1/devices/me/attributes';

    constructor(
        private readonly ctx: SessionContext,
        private readonly actors: DeviceActors,
    ) {}

    private get deviceId(): string {
        return this.ctx.device.id;
    }

    /** SubscribeToRPCMsg / SubscribeToAttributeUpdatesMsg for a granted filter; other filters mean nothing here. */
    subscribe(filter: string): void {
        if (RPC_SUBSCRIPTIONS[filter]) {
            this.rpcTopicBase = RPC_SUBSCRIPTIONS[filter];
            this.actors.subscribeRpc(this.deviceId, this);
        } else if (ATTRIBUTE_SUBSCRIPTIONS[filter]) {
            this.attributesTopic = ATTRIBUTE_SUBSCRIPTIONS[filter];
            this.actors.subscribeAttributes(this.deviceId, this);
        }
    }

    unsubscribe(filters: string[]): void {
        for (const filter of filters) {
            if (RPC_SUBSCRIPTIONS[filter]) this.actors.unsubscribeRpc(this.deviceId, this);
            else if (ATTRIBUTE_SUBSCRIPTIONS[filter]) this.actors.unsubscribeAttributes(this.deviceId, this);
        }
    }

    close(): void {
        this.actors.sessionClosed(this.deviceId, this);
    }

    /** JsonConverter.toJson(ToDeviceRpcRequestMsg, false): {"method","params"}, params parsed from its JSON text. */
    rpcRequest(requestId: number, method: string, params: string): void {
        this.ctx.publish(`${this.rpcTopicBase}${requestId}`, { method, params: JSON.parse(params) as unknown });
    }

    attributeUpdate(update: Record<string, unknown>): void {
        this.ctx.publish(this.attributesTopic, update);
    }
}
