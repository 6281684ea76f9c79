import { errorFactory, type MessageTable } from '../errors';

/**
 * Error texts of the MQTT area (the shared connection and its delivery), by code
 * (catalog key `errors.<code>`). `__config__` is a config node's label, `__server__` is
 * host:port. No text takes key material, passphrases or passwords as a parameter.
 */
export const ERRORS = {
    // --- requests and pushes (tb-x509-mqtt-request, tb-x509-mqtt-in)
    MQTT_REQUEST_TIMEOUT:
        'No answer from __server__ within __seconds__ s to the request on __topic__. ThingsBoard answers a client-side RPC only when a rule chain replies to it; check the rule chain, or raise the node\'s Timeout.',
    IN_MODE_UNKNOWN:
        'Unknown mode "__mode__": choose rpc, attributes, gateway-rpc or gateway-attributes.',
    REQUEST_KIND_UNKNOWN:
        'Unknown kind "__kind__": choose attributes, rpc or gateway-attributes.',
    // --- node and queue
    MQTT_NO_CONFIG:
        'No ThingsBoard config is selected, or it is not deployed. Open the node and choose a tb-x509-config.',
    MQTT_QUEUE_FULL:
        'Not sent: __count__ messages already wait for the connection to __server__ (queue size __size__). Check the connection, or raise the node\'s Queue size.',
    MQTT_QUEUE_FULL_RATE_LIMITED:
        'Not sent: __count__ messages already wait to be sent to __server__ below its rate limits (queue size __size__). Send less often, or raise the node\'s Queue size.',
    MQTT_CLOSED:
        'Not delivered: the connection to __server__ was closed (flow stopped or redeployed) before the server acknowledged the message.',
    MQTT_DROPPED_ON_CLOSE:
        '__count__ message(s) were not sent: the node stopped while they waited for the connection to __server__.',
    // --- fleet mode (one connection per msg.deviceName)
    FLEET_DEVICE_NAME_MISSING:
        'Config "__config__" is a fleet config: each message must name its device in msg.deviceName (text), but msg.deviceName is __actual__.',
    FLEET_DEVICE_UNKNOWN:
        'Config "__config__" has no identity for device "__deviceName__" (nothing in __dir__). Generate one with x509-generate for this device name first.',
    // --- connection failures (queued and new messages fail with these while they last)
    MQTT_CERT_REJECTED:
        '__server__ refused the device certificate of config "__config__" (CN "__commonName__"; __detail__). Register the certificate as the device\'s X.509 credentials (tb-provision, or Device → Manage credentials in ThingsBoard), and check that it has not expired.',
    MQTT_SERVER_UNTRUSTED:
        'The server certificate of __server__ is not trusted (__detail__). Put the server\'s CA chain (e.g. ca-root.pem) into the CA field of config "__config__", and check that __host__ is the right server.',
    MQTT_HOST_MISMATCH:
        'The server certificate of __server__ is not issued for the name "__host__" (__detail__). Use the host name the certificate names, or set "Server name" in config "__config__".',
    MQTT_HOST_NOT_FOUND:
        'Host "__host__" of config "__config__" was not found (DNS: __detail__). Check the Host field.',
    MQTT_NO_IDENTITY:
        'Config "__config__" has no device identity: add the device certificate and private key, or generate one with x509-generate.',
    MQTT_IDENTITY_UNUSABLE: 'The device identity of config "__config__" cannot be used: __detail__',
    MQTT_IDENTITY_IN_USE:
        'Config "__config__" does not connect: config "__other__" already connects with the same device certificate (CN "__commonName__"), and ThingsBoard allows one session per device, so the two would keep disconnecting each other. Give each config its own certificate.',
    MQTT_GATEWAY_NOT_ACKNOWLEDGED:
        'ThingsBoard did not acknowledge the message on __topic__ (sent __sends__ times, waiting __seconds__ s each time): it ignores gateway topics on a session that is not a gateway session. The device of config "__config__" (CN "__commonName__") is not a gateway in ThingsBoard, or it was marked as one after the connection opened. Mark it "Is gateway" with tb-provision\'s Gateway option (the connection then reconnects by itself), or in ThingsBoard\'s device details and redeploy.',
    MQTT_NOT_ACKNOWLEDGED:
        'ThingsBoard did not acknowledge the message on __topic__ (sent __sends__ times to __server__, waiting __seconds__ s each time, on a new connection each time). Check the server\'s log and the device of config "__config__" (CN "__commonName__") in ThingsBoard.',
    MQTT_PUBLISH_REFUSED:
        'The server refused the message on __topic__: __reason__ (reason code __code__).',
    // --- warnings (node.warn)
    MQTT_IDENTITY_SHARED:
        'Configs "__config__" and "__other__" hold the same device certificate (CN "__commonName__"). ThingsBoard allows one session per device: only "__config__" connects. Give each config its own certificate.',
    MQTT_CHAIN_CERTS_DROPPED:
        'The device certificate chain of config "__config__" (CN "__commonName__") holds certificates that are not on the certificate\'s issuer path: __names__. They are left out of the connection; remove them from the chain.',
    MQTT_SESSION_TAKEN_OVER:
        'Another client connected to __server__ with the device certificate of config "__config__" (CN "__commonName__") and took over its session (ThingsBoard allows one session per device). Make sure no other program uses this certificate.',
} as const satisfies MessageTable;

/** Status texts of this area, by key (catalog key `status.<key>`). Keep them short. */
export const STATUS = {
    'mqtt-connected': 'connected',
    'mqtt-connecting': 'connecting',
    'mqtt-queued': 'queued __count__',
    'mqtt-queued-reason': 'queued __count__ (__reason__)',
    'mqtt-no-config': 'no config',
    'mqtt-cert-rejected': 'certificate rejected by server',
    'mqtt-server-untrusted': 'server certificate not trusted',
    'mqtt-host-mismatch': 'host name mismatch',
    'mqtt-host-not-found': 'host not found',
    'mqtt-no-identity': 'no device identity',
    'mqtt-identity-unusable': 'device identity unusable',
    'mqtt-identity-in-use': 'certificate used by "__other__"',
    'mqtt-connection-refused': 'connection refused',
    'mqtt-connection-lost': 'connection lost',
    'mqtt-timeout': 'connection timed out',
    'mqtt-unreachable': 'network unreachable',
    'mqtt-server-unavailable': 'server unavailable',
    'mqtt-session-taken-over': 'session taken over',
    'mqtt-disconnected': 'disconnected',
    'mqtt-rate-limited': 'rate limited, queued __count__',
    'mqtt-fleet': '__connected__ connected, __queued__ queued',
    'mqtt-fleet-failure': '__connected__ connected, __queued__ queued; __failing__ × __reason__',
} as const satisfies MessageTable;

export type MqttStatusKey = keyof typeof STATUS;

export const fail = errorFactory(ERRORS);
