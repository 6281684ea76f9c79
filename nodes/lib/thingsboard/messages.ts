import { errorFactory, type MessageTable } from '../errors';

/**
 * Error texts of this area, by code (catalog key `errors.<code>`).
 * `__config__` is the tb-x509-config's label, `__address__` the server as host:port,
 * `__operation__` the REST call ("POST /api/device/credentials"). No text ever carries a
 * password, token, API key or private key: only names the user typed and ThingsBoard's
 * own error message.
 */
export const ERRORS = {
    // --- msg.payload rules (nothing is sent when one of these is raised)
    PAYLOAD_MISSING:
        'msg.payload is empty: nothing to publish. Send an object such as {"temperature": 25}.',
    PAYLOAD_BARE_VALUE:
        'msg.payload is a bare __type__, but ThingsBoard needs an object such as {"temperature": 25}. Set the node\'s Key property to publish it as {"<key>": value}.',
    PAYLOAD_NOT_JSON:
        'msg.payload is text that is not JSON (__reason__), but ThingsBoard needs an object such as {"temperature": 25}. Set the node\'s Key property to publish the text as one value.',
    PAYLOAD_NOT_FINITE:
        'msg.payload is __value__, which JSON cannot carry (ThingsBoard would receive null and drop it). Send a finite number.',
    PAYLOAD_NOT_SERIALISABLE:
        'msg.payload cannot be turned into JSON (__reason__). Remove circular references and BigInt values from the payload.',
    PAYLOAD_WRONG_TYPE:
        '__what__ needs __expected__, but msg.payload is __actual__.',
    PAYLOAD_EMPTY_ARRAY: 'msg.payload is an empty array: nothing to publish.',
    PAYLOAD_ARRAY_ELEMENT:
        'Element __index__ of the msg.payload array is __actual__, but each telemetry entry must be an object such as {"temperature": 25} or {"ts": 1700000000000, "values": {"temperature": 25}}.',
    PAYLOAD_TOO_LARGE:
        'The message would be __size__ bytes on the wire (topic and MQTT header included), more than the __limit__ bytes ThingsBoard accepts in one message (it would close the connection). Split the payload into smaller messages.',
    GATEWAY_TELEMETRY_SHAPE:
        'Gateway telemetry needs device names mapped to arrays, e.g. {"Device A": [{"temperature": 25}]}, but __problem__.',
    GATEWAY_ATTRIBUTES_SHAPE:
        'Gateway attributes need device names mapped to objects, e.g. {"Device A": {"firmware": "1.2"}}, but __problem__.',
    GATEWAY_DEVICE_MISSING:
        'Topic __topic__ needs a payload naming the device, e.g. {"device": "Device A"}, but msg.payload has no "device" text.',
    TIMESTAMP_INVALID:
        'msg.timestamp must be milliseconds since 1970 (a number) or a Date, but it is __actual__.',
    TIMESTAMP_WITH_ARRAY:
        'msg.timestamp is set but msg.payload is an array: one timestamp applies to one object. Send an object, or put "ts" into each entry ({"ts": …, "values": {…}}) and remove msg.timestamp.',
    TIMESTAMP_TWICE:
        'msg.timestamp is set but msg.payload already has "ts" and "values". Remove one of the two timestamps.',
    TIMESTAMP_NOT_SUPPORTED:
        'msg.timestamp is set, but ThingsBoard takes no timestamp on __topic__. Remove msg.timestamp, or use target telemetry.',
    // --- topics
    TARGET_UNKNOWN:
        'Unknown target "__target__": choose telemetry, attributes, gateway-telemetry, gateway-attributes, gateway-connect, gateway-disconnect, rpc-response, gateway-rpc-response or msg (msg.topic).',
    TOPIC_MISSING:
        'The node\'s target is msg.topic, but msg.topic is empty. Set it to a ThingsBoard topic such as v1/devices/me/telemetry.',
    TOPIC_NOT_SERVED:
        'ThingsBoard does not serve the topic "__topic__" for devices: it would acknowledge the message and drop it. Use a ThingsBoard topic such as v1/devices/me/telemetry, v1/devices/me/attributes, v1/devices/me/rpc/response/<id> or v1/gateway/telemetry.',
    TOPIC_PROTOBUF:
        'Topic "__topic__" expects protobuf, but this node publishes JSON. Use __alternative__ instead.',
    TOPIC_PROVISION:
        'Topic "__topic__" belongs to ThingsBoard\'s provisioning sessions, not to a device\'s connection. Use the tb-provision node to provision devices.',
    // --- RPC replies and requests: what the msg must carry (nothing is sent when one of these is raised)
    REPLY_REQUEST_ID_MISSING:
        'Target __target__ answers an RPC request, so msg.requestId must be that request\'s id (a whole number, as tb-x509-mqtt-in sets it), but it is __actual__. Keep msg.requestId on the msg from tb-x509-mqtt-in to this node.',
    REPLY_DEVICE_MISSING:
        'Target __target__ answers a gateway device\'s RPC request, so msg.device must name the device (as tb-x509-mqtt-in sets it), but it is __actual__. Keep msg.device on the msg from tb-x509-mqtt-in to this node.',
    MQTT_REQUEST_NO_METHOD:
        'A client-side RPC needs a method name: set the node\'s Method property or msg.method (a non-empty text).',
    MQTT_REQUEST_NO_DEVICE:
        'A gateway attribute request needs msg.device, the name of the device behind the gateway, but it is __actual__.',
    MQTT_REQUEST_NO_KEYS:
        'A gateway attribute request needs at least one key: set the node\'s keys or msg.clientKeys / msg.sharedKeys.',
    MQTT_REQUEST_KEYS_INVALID:
        '__field__ must be a comma-separated text or an array of texts, but it is __actual__.',
    TB_NO_CONFIG:
        'tb-provision has no tb-x509-config, or its config node is not deployed: choose a config node and deploy.',
    TB_REST_URL_MISSING:
        'tb-x509-config "__config__" has no REST URL: set it (e.g. https://thingsboard.cloud) to provision devices with method rest.',
    TB_REST_URL_INVALID:
        'The REST URL "__url__" of tb-x509-config "__config__" is not an http:// or https:// URL.',
    TB_MQTT_HOST_MISSING:
        'tb-x509-config "__config__" has no MQTT host: set it to provision devices with method device-api.',
    TB_NO_ACCOUNT:
        'tb-x509-config "__config__" has no ThingsBoard account: enter a tenant username and password, or an API key, to provision devices over REST.',
    TB_LOGIN_REJECTED:
        'ThingsBoard rejected the login for __username__ (__reason__): check the username and password in tb-x509-config "__config__".',
    TB_API_KEY_REJECTED:
        'ThingsBoard rejected the API key of tb-x509-config "__config__" (__reason__): check that the key exists, is enabled and has not expired.',
    TB_SESSION_REJECTED:
        'ThingsBoard did not accept the session of tb-x509-config "__config__" for __operation__ even after logging in again (__reason__).',
    TB_LOGIN_TWO_FACTOR:
        'The ThingsBoard account __username__ of tb-x509-config "__config__" has two-factor authentication, which a flow cannot complete (ThingsBoard would refuse every call with 403): use an API key (ThingsBoard 4.3 or later) or a tenant administrator account without two-factor authentication.',
    TB_API_KEY_UNSUPPORTED:
        'ThingsBoard at __address__ does not accept API keys: they need ThingsBoard 4.3 or later. Clear the API key of tb-x509-config "__config__" and enter the username and password of a tenant administrator, or upgrade ThingsBoard.',
    TB_PERMISSION_DENIED:
        'ThingsBoard denied __operation__ (HTTP 403: __reason__): the account of tb-x509-config "__config__" is not a tenant administrator. Provisioning needs a tenant administrator account (or its API key).',
    TB_SUBSCRIPTION_VIOLATION:
        'ThingsBoard refused __operation__ because of the subscription of the tenant (HTTP 403: __reason__): the plan of the account in tb-x509-config "__config__" does not allow it; check or upgrade the plan.',
    TB_DEVICE_LIMIT_REACHED:
        'ThingsBoard did not create device "__device__": the device limit of this ThingsBoard plan is reached (__reason__). Delete devices that are no longer needed, or raise the limit (the plan on ThingsBoard Cloud, the tenant profile on your own server).',
    TB_RATE_LIMITED:
        'ThingsBoard still answered "too many requests" (HTTP 429: __reason__) to __operation__ after __attempts__ attempts: slow the flow down or try again later.',
    TB_HTTP_ERROR: 'ThingsBoard answered __operation__ with HTTP __status__: __reason__',
    TB_UNEXPECTED_RESPONSE:
        'ThingsBoard answered __operation__ with something unexpected (__reason__): is __address__ a ThingsBoard server?',
    TB_HOST_NOT_FOUND:
        'Cannot reach ThingsBoard at __address__: the host name was not found. Check the address in tb-x509-config "__config__".',
    TB_CONNECTION_REFUSED:
        'Cannot reach ThingsBoard at __address__: the connection was refused (nothing listens there). Check the address in tb-x509-config "__config__" and that the server is running.',
    TB_HOST_UNREACHABLE:
        'Cannot reach ThingsBoard at __address__: the host or network is unreachable. Check the address in tb-x509-config "__config__" and the network.',
    TB_TIMEOUT:
        'ThingsBoard at __address__ did not answer within __seconds__ s. Check the address in tb-x509-config "__config__" and that the server is up.',
    TB_CONNECTION_FAILED:
        'The connection to ThingsBoard at __address__ failed (__reason__). Check the address in tb-x509-config "__config__".',
    TB_SERVER_CERT_UNTRUSTED:
        'The certificate of ThingsBoard at __address__ is not trusted (__reason__): put the server\'s CA chain into the CA of tb-x509-config "__config__".',
    TB_SERVER_CERT_NAME_MISMATCH:
        'The certificate of ThingsBoard at __address__ was not issued for that host name (__reason__): use the host name in the certificate, or set the server name in tb-x509-config "__config__".',
    TB_SERVER_CERT_EXPIRED:
        'The certificate of ThingsBoard at __address__ has expired or is not valid yet (__reason__): renew the server certificate or check the clock of this machine.',
    TB_NO_CERTIFICATE:
        'No certificate to provision: put one in msg.payload.certificate or msg.certificate, or give tb-x509-config "__config__" an identity (certificate and key, or run x509-generate with it).',
    TB_CERT_INVALID:
        'The certificate in __source__ is not a usable PEM certificate (__reason__); nothing was sent to ThingsBoard.',
    TB_NO_DEVICE_NAME:
        'No device name: the device name of tb-provision (default msg.deviceName) is empty and the certificate has no common name (CN).',
    TB_CERT_ASSIGNED_ELSEWHERE:
        'ThingsBoard did not register the certificate for device "__device__": it is already assigned to another device. Every device needs its own certificate: generate a new one for "__device__".',
    TB_DEVICE_PROFILE_UNKNOWN:
        'Device profile "__profile__" does not exist in ThingsBoard, so device "__device__" was not created: create the profile first or correct the device profile of tb-provision.',
    TB_DEVICE_EXISTS:
        'Device "__device__" already exists in ThingsBoard and tb-provision is set to fail when the device exists: nothing was changed.',
    TB_CREDENTIALS_ID_MISMATCH:
        'ThingsBoard stored credentials for device "__device__" that do not match the certificate (credentials id __actual__, expected __expected__), so the device could not connect with it. Provision it again; if this repeats, something between Node-RED and ThingsBoard alters the request.',
    TB_PROVISION_SECRET_MISSING:
        'Method device-api needs the provision key and provision secret of a ThingsBoard device profile: enter both in tb-provision.',
    TB_PROVISION_NOT_FOUND:
        'ThingsBoard found no device profile for the provision key and secret of tb-provision (NOT_FOUND: __reason__): check both, and that provisioning is enabled in that profile.',
    TB_PROVISION_FAILURE:
        'ThingsBoard refused to provision "__device__" (FAILURE: __reason__): the device may already exist or the certificate may be in use by another device.',
    TB_PROVISION_TIMEOUT:
        'ThingsBoard at __address__ did not answer the provisioning request for "__device__" within __seconds__ s.',
    TB_PROVISION_CONNECT_REFUSED:
        'ThingsBoard at __address__ refused the provisioning connection (CONNACK __code__).',
    TB_PROVISION_CLOSED:
        'ThingsBoard at __address__ closed the provisioning connection before answering for "__device__": check the provision key and secret and that the port is ThingsBoard\'s MQTT TLS port.',
    TB_PROVISION_BAD_RESPONSE:
        'ThingsBoard at __address__ sent an unreadable provisioning response for "__device__" (__reason__).',
    TB_CHAIN_NO_CA:
        'Method x509-chain needs a CA: tb-x509-config "__config__" names no tb-x509-ca. Choose a CA in the config and deploy.',
    TB_CHAIN_PROFILE_MISSING:
        'Method x509-chain needs the name of the device profile to set up: enter it as Device profile in tb-provision (it is created when it does not exist).',
    TB_CHAIN_PATTERN_INVALID:
        'The CN pattern "__pattern__" of tb-provision is not a valid regular expression (__reason__). ThingsBoard names each new device by the first group of this pattern, e.g. (.*) or (.*)\\.company\\.com.',
    TB_CHAIN_PATTERN_NO_GROUP:
        'The CN pattern "__pattern__" of tb-provision has no group in parentheses, so ThingsBoard could not name any device by it: put the part of the CN that is the device name in ( ), e.g. (.*) or (.*)\\.company\\.com.',
    TB_CHAIN_CERT_IN_OTHER_PROFILE:
        'ThingsBoard did not set up device profile "__profile__": another device profile already holds the certificate of CA "__ca__" (__reason__). A CA certificate can belong to one profile only: use that profile, or another CA.',
    TB_CHAIN_WELL_KNOWN_ROOT:
        'ThingsBoard refused the certificate of CA "__ca__" for device profile "__profile__" (__reason__): it is a well-known public root CA, and every certificate it ever signed could create devices. Use a CA of your own.',
    TB_CHAIN_PROFILE_KEY_MISMATCH:
        'ThingsBoard saved device profile "__profile__" with provision key __actual__ instead of __expected__ (the hash of the certificate of CA "__ca__"), so devices of that CA would not be created. Check the profile in ThingsBoard.',
} as const satisfies MessageTable;

export type ThingsBoardErrorCode = keyof typeof ERRORS;

/** Status texts of this area, by key (catalog key `status.<key>`). Short: they sit under a node. */
export const STATUS = {
    'provision-busy': 'provisioning…',
    'provision-done': 'provisioned __name__',
    'provision-failed': 'failed',
    'provision-config': 'config incomplete',
    'provision-login': 'login rejected',
    'provision-denied': 'permission denied',
    'provision-two-factor': 'two-factor login',
    'provision-api-key': 'API key needs 4.3',
    'provision-subscription': 'plan limit',
    'provision-device-limit': 'device limit reached',
    'provision-rate': 'rate limited',
    'provision-unreachable': 'server unreachable',
    'provision-untrusted': 'server not trusted',
    'provision-bad-cert': 'invalid certificate',
    'provision-cert-in-use': 'certificate in use',
    'provision-profile': 'unknown profile',
    'provision-exists': 'device exists',
    'provision-refused': 'provisioning refused',
    'provision-timeout': 'no answer',
} as const satisfies MessageTable;

export type ProvisionStatusKey = keyof typeof STATUS;

const STATUS_BY_ERROR: Partial<Record<ThingsBoardErrorCode, ProvisionStatusKey>> = {
    TB_NO_CONFIG: 'provision-config',
    TB_REST_URL_MISSING: 'provision-config',
    TB_REST_URL_INVALID: 'provision-config',
    TB_MQTT_HOST_MISSING: 'provision-config',
    TB_NO_ACCOUNT: 'provision-config',
    TB_PROVISION_SECRET_MISSING: 'provision-config',
    TB_LOGIN_REJECTED: 'provision-login',
    TB_API_KEY_REJECTED: 'provision-login',
    TB_SESSION_REJECTED: 'provision-login',
    TB_LOGIN_TWO_FACTOR: 'provision-two-factor',
    TB_API_KEY_UNSUPPORTED: 'provision-api-key',
    TB_PERMISSION_DENIED: 'provision-denied',
    TB_SUBSCRIPTION_VIOLATION: 'provision-subscription',
    TB_DEVICE_LIMIT_REACHED: 'provision-device-limit',
    TB_RATE_LIMITED: 'provision-rate',
    TB_HOST_NOT_FOUND: 'provision-unreachable',
    TB_CONNECTION_REFUSED: 'provision-unreachable',
    TB_HOST_UNREACHABLE: 'provision-unreachable',
    TB_TIMEOUT: 'provision-unreachable',
    TB_CONNECTION_FAILED: 'provision-unreachable',
    TB_SERVER_CERT_UNTRUSTED: 'provision-untrusted',
    TB_SERVER_CERT_NAME_MISMATCH: 'provision-untrusted',
    TB_SERVER_CERT_EXPIRED: 'provision-untrusted',
    TB_NO_CERTIFICATE: 'provision-bad-cert',
    TB_CERT_INVALID: 'provision-bad-cert',
    TB_CERT_ASSIGNED_ELSEWHERE: 'provision-cert-in-use',
    TB_DEVICE_PROFILE_UNKNOWN: 'provision-profile',
    TB_DEVICE_EXISTS: 'provision-exists',
    TB_PROVISION_NOT_FOUND: 'provision-refused',
    TB_PROVISION_FAILURE: 'provision-refused',
    TB_PROVISION_CONNECT_REFUSED: 'provision-refused',
    TB_PROVISION_CLOSED: 'provision-refused',
    TB_PROVISION_TIMEOUT: 'provision-timeout',
    TB_CHAIN_NO_CA: 'provision-config',
    TB_CHAIN_PROFILE_MISSING: 'provision-config',
    TB_CHAIN_PATTERN_INVALID: 'provision-config',
    TB_CHAIN_PATTERN_NO_GROUP: 'provision-config',
    TB_CHAIN_CERT_IN_OTHER_PROFILE: 'provision-cert-in-use',
    TB_CHAIN_WELL_KNOWN_ROOT: 'provision-refused',
    TB_CHAIN_PROFILE_KEY_MISMATCH: 'provision-refused',
};

/** The short status shown under tb-provision for an error code (any area). */
export function provisionStatusFor(code: string | undefined): ProvisionStatusKey {
    if (code && STATUS_BY_ERROR[code as ThingsBoardErrorCode]) return STATUS_BY_ERROR[code as ThingsBoardErrorCode]!;
    // the pki area's certificate errors (unreadable, not PEM, …)
    if (code?.startsWith('CERT_')) return 'provision-bad-cert';
    return 'provision-failed';
}

export const fail = errorFactory(ERRORS);
