import { badRequest } from './errors';
import { sha3OfParts, x509CredentialsId } from './hash';
import { CREDENTIALS_TYPES, optionalString, type CredentialsInput, type CredentialsRecord, type CredentialsType } from './store-types';

// A credentials body formatted and validated the way DeviceCredentialsServiceImpl.formatCredentials and
// DeviceCredentialsDataValidator do it: the X.509 id is the SHA3 of the trimmed certificate, the MQTT_BASIC
// id the SHA3 of clientId|userName.

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

export type FormattedCredentials = Pick<CredentialsRecord, 'credentialsType' | 'credentialsId' | 'credentialsValue'>;

export function formatCredentials(input: CredentialsInput): FormattedCredentials {
    const type = input.credentialsType as CredentialsType | undefined;
    if (!type) throw badRequest('Device credentials type should be specified');
    if (!CREDENTIALS_TYPES.includes(type)) throw badRequest(`Invalid device credentials type: ${String(type)}`);
    let credentialsId = optionalString(input.credentialsId);
    let credentialsValue = optionalString(input.credentialsValue);
    if (type === 'X509_CERTIFICATE') {
        if (credentialsValue === null || credentialsValue === '') throw badRequest('Device credentials value should be specified!');
        ({ credentialsId, credentialsValue } = x509CredentialsId(credentialsValue));
    } else if (type === 'MQTT_BASIC') {
        let basic: { clientId?: string; userName?: string; password?: string };
        try {
            basic = JSON.parse(credentialsValue ?? '') as typeof basic;
        } catch {
            throw badRequest('Invalid credentials body for simple mqtt credentials!');
        }
        for (const field of ['clientId', 'userName', 'password'] as const) {
            if (typeof basic[field] === 'string' && CONTROL_CHARS.test(basic[field] as string)) {
                throw badRequest(`${field} must not contain control characters!`);
            }
        }
        if (!basic.clientId && !basic.userName) throw badRequest('Both mqtt client id and user name are empty!');
        if (basic.clientId && !basic.userName) credentialsId = sha3OfParts([basic.clientId]);
        else if (!basic.clientId && basic.userName) credentialsId = sha3OfParts([basic.userName]);
        else credentialsId = sha3OfParts([basic.clientId, basic.userName]);
        credentialsValue = JSON.stringify(basic);
    } else if (type === 'ACCESS_TOKEN') {
        credentialsValue = null;
    }
    if (!credentialsId) throw badRequest('Device credentials id should be specified!');
    if (CONTROL_CHARS.test(credentialsId)) throw badRequest('credentialsId must not contain control characters!');
    return { credentialsType: type, credentialsId, credentialsValue };
}
