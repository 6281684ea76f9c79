// MQTT codes and topic names of ThingsBoard's MQTT transport (reference §2.5, §2.6, §4; MqttReasonCodes,
// ReturnCodeResolver, MqttTopics).

/** MQTT 5 reason codes used by ThingsBoard (MqttReasonCodes, ReturnCodeResolver). */
export const RC = {
    SUCCESS: 0x00,
    UNSPECIFIED: 0x80,
    MALFORMED: 0x81,
    IMPLEMENTATION_SPECIFIC: 0x83,
    SERVER_UNAVAILABLE: 0x88,
    CLIENT_ID_NOT_VALID: 0x85,
    BAD_USER_NAME_OR_PASSWORD: 0x86,
    NOT_AUTHORIZED: 0x87,
    SESSION_TAKEN_OVER: 0x8e,
    TOPIC_FILTER_INVALID: 0x8f,
    TOPIC_NAME_INVALID: 0x90,
    MESSAGE_RATE_TOO_HIGH: 0x96,
    QUOTA_EXCEEDED: 0x97,
    ADMINISTRATIVE_ACTION: 0x98,
    PAYLOAD_FORMAT_INVALID: 0x99,
    CONNECTION_RATE_EXCEEDED: 0x9f,
} as const;

/** MQTT 3.1.1 CONNACK return code for an MQTT 5 reason (ReturnCodeResolver). */
export function v3ConnackCode(reason: number): number {
    switch (reason) {
        case RC.SUCCESS:
            return 0;
        case RC.CLIENT_ID_NOT_VALID:
            return 2;
        case RC.SERVER_UNAVAILABLE:
        case RC.CONNECTION_RATE_EXCEEDED:
            return 3;
        default:
            return 5; // 0x86 and 0x87 both become "not authorised" for 3.1.1
    }
}

export const TELEMETRY_TOPICS = new Set(['v1/devices/me/telemetry', 'v2/t', 'v2/t/j']);
export const ATTRIBUTES_TOPICS = new Set(['v1/devices/me/attributes', 'v2/a', 'v2/a/j']);
/** Filters a device session may subscribe to (MTH processSubscribe); gateway ones too, on any session. */
export const DEVICE_FILTERS = new Set([
    'v1/devices/me/attributes',
    'v1/devices/me/attributes/response/+',
    'v1/devices/me/rpc/request/+',
    'v1/devices/me/rpc/response/+',
    'v2/a',
    'v2/a/j',
    'v2/a/res/+',
    'v2/a/j/res/+',
    'v2/r/req/+',
    'v2/r/j/req/+',
    'v2/r/res/+',
    'v2/r/j/res/+',
    'v1/gateway/attributes',
    'v1/gateway/attributes/response',
    'v1/gateway/rpc',
]);
/** Subscriptions that subscribe the session to attribute updates or RPC (MTH processAttributesSubscribe / processRpcSubscribe). */
export const UPDATE_SUBSCRIPTIONS = new Set(['v1/devices/me/attributes', 'v2/a', 'v2/a/j', 'v1/devices/me/rpc/request/+', 'v2/r/req/+', 'v2/r/j/req/+']);
export const PROVISION_REQUEST = '/provision/request';
export const PROVISION_RESPONSE = '/provision/response';
export const GATEWAY_TOPIC_PREFIX = 'v1/gateway/';
