import { errorFactory, type MessageTable } from '../errors';

/**
 * Error texts of this area, by code (catalog key `errors.<code>`).
 *
 * `__source__` names where material came from, e.g. `the "cert" credential of config "Plant A"`
 * or `file /data/device.key`. No text here ever takes key material or a passphrase as a parameter.
 */
export const ERRORS = {
    CERT_NOT_PEM:
        'No certificate found in __source__: expected PEM text with a "-----BEGIN CERTIFICATE-----" block. Paste the certificate (not the key or a CSR) in PEM form.',
    CERT_UNREADABLE:
        'Certificate __index__ in __source__ cannot be read (__reason__). Check that the PEM block was copied completely.',
    KEY_NOT_PEM:
        'No private key found in __source__: expected PEM text with a "-----BEGIN … PRIVATE KEY-----" block (PKCS#1, SEC1 or PKCS#8).',
    KEY_UNREADABLE:
        'The private key in __source__ cannot be read (__reason__). Use an RSA or EC key in PEM form (PKCS#1, SEC1 or PKCS#8).',
    KEY_ENCRYPTED_NO_PASSPHRASE:
        'The private key in __source__ is encrypted, but config "__config__" has no passphrase. Enter the key\'s passphrase in the config node.',
    KEY_WRONG_PASSPHRASE:
        'The passphrase of config "__config__" does not decrypt the private key in __source__. Check the passphrase.',
    KEY_CERT_MISMATCH:
        'The private key in __keySource__ does not belong to the certificate in __certSource__ (CN "__commonName__"). Use the key the certificate was issued for.',
    CERT_EXPIRED:
        'The certificate of config "__config__" (CN "__commonName__") expired on __date__. Renew it or generate a new one.',
    CERT_NOT_YET_VALID:
        'The certificate of config "__config__" (CN "__commonName__") is not valid before __date__. Check the clock of this machine or the certificate\'s dates.',
    FILE_UNREADABLE:
        'Cannot read the __what__ file __path__ of config "__config__" (__reason__). Check the path and that Node-RED may read it.',
    CERT_WITHOUT_KEY:
        'Config "__config__" has a certificate in __certSource__ but no private key to go with it. Add the key (credential "key" or a key file).',
    KEY_WITHOUT_CERT:
        'Config "__config__" has a private key in __keySource__ but no certificate to go with it. Add the certificate (credential "cert" or a certificate file).',
    PKCS12_UNREADABLE:
        'The PKCS#12 bundle of config "__config__" cannot be read (__reason__). Upload the .p12/.pfx file again in the config node (Device identity tab).',
    PKCS12_WRONG_PASSWORD:
        'The PKCS#12 password of config "__config__" does not open its PKCS#12 bundle. Check the password.',
    PKCS12_INCOMPLETE:
        'The PKCS#12 bundle of config "__config__" holds no __missing__. Export the bundle with both the private key and the certificate.',
    CA_NOT_PEM:
        'No CA certificate found in __source__: expected PEM text with "-----BEGIN CERTIFICATE-----" blocks (the server\'s certificate chain).',
    INSTALL_REFUSED:
        'Config "__config__" has its own __kind__ identity, so a generated identity cannot be installed in it. Clear the config\'s certificate and key (credentials and file paths) or use x509-generate without this config.',
    KEYSTORE_WRITE_FAILED:
        'Cannot write the key store __path__ of config "__config__" (__reason__). Check that the directory is writable by Node-RED.',
    KEYSTORE_INCOMPLETE:
        'The key store __path__ of config "__config__" holds __present__ but not __missing__. Remove the leftover file or generate a new identity.',
    COMMON_NAME_EMPTY:
        'The common name is empty: set the node\'s Common name (by default msg.deviceName) to the device name.',
    COMMON_NAME_NOT_TEXT:
        'The common name is __actual__, not text: set the node\'s Common name (by default msg.deviceName) to the device name.',
    COMMON_NAME_TOO_LONG:
        'The common name "__commonName__" is __length__ characters long; X.509 allows at most 64.',
    DAYS_INVALID:
        'Validity "__days__" is not a whole number of days from 1 to 36500.',
    RENEW_BEFORE_INVALID:
        'Renew before "__days__" is not a whole number of days from 0 to 36500.',
    KEY_TYPE_UNKNOWN:
        'Key type "__keyType__" is not supported: use "ec" or "rsa".',
    RSA_BITS_UNSUPPORTED:
        'RSA key size "__bits__" is not supported: use 2048, 3072 or 4096.',
    CURVE_UNSUPPORTED:
        'EC curve "__curve__" is not supported: use P-256 or P-384.',
    GENERATE_CONFIG_MISSING:
        'The tb-x509-config chosen in this x509-generate node is not deployed (or was deleted). Choose a config and deploy, or clear the field to generate without storing.',
    FLEET_DEVICE_NAME_EMPTY:
        'The device name is empty: a fleet config keeps one identity per device name, so msg.deviceName (or the node\'s Common name) must name the device.',
    SIGNING_KEY_UNSUPPORTED:
        'A __keyType__ key cannot sign certificates here: use an RSA key or an EC key on P-256, P-384 or P-521.',
    CA_NOT_A_CA:
        'The certificate in __source__ (CN "__commonName__") of tb-x509-ca "__ca__" is not a CA certificate (basicConstraints CA:TRUE), so it cannot sign device certificates. Use the CA\'s certificate, or leave certificate and key empty to let the node generate a CA.',
    CA_EXPIRED:
        'The CA "__commonName__" ends on __date__, so it can no longer issue device certificates. Renew the CA (a new CA needs a new device profile certificate in ThingsBoard).',
    CA_CERT_WITHOUT_KEY:
        'tb-x509-ca "__ca__" has a certificate in __certSource__ but no private key to go with it. Add the CA\'s key, or clear both to let the node generate a CA.',
    CA_KEY_WITHOUT_CERT:
        'tb-x509-ca "__ca__" has a private key in __keySource__ but no certificate to go with it. Add the CA\'s certificate, or clear both to let the node generate a CA.',
    CA_MISSING:
        'Config "__config__" names a tb-x509-ca that is not deployed (or was deleted). Choose a CA in the config and deploy.',
    GENERATE_FAILED:
        'Generating the __keyType__ key and certificate for "__commonName__" failed (__reason__).',
} as const satisfies MessageTable;

/** Status texts of this area, by key (catalog key `status.<key>`). */
export const STATUS = {
    'generate-busy': 'generating __commonName__',
    'generate-done': 'generated __commonName__',
    'generate-reused': 'reused __commonName__',
    'generate-failed': 'failed: __reason__',
} as const satisfies MessageTable;

export const fail = errorFactory(ERRORS);
