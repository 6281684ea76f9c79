import { badRequest } from './errors';
import { sha3OfParts, x509CredentialsId } from './hash';
import { CREDENTIALS_TYPES, optionalString, type CredentialsInput, type CredentialsRecord, type CredentialsType } from './store-types';

// A credentials body formatted and validated the way DeviceCredentialsServiceImpl.formatCredentials and
// DeviceCredentialsDataValidator do it: the X.509 id is the SHA3 of the trimmed certificate, the MQTT_BASIC
// id the SHA3 of clientId|userName.

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

export type FormattedCredentials = Pick<CredentialsRecord, 'credentialsType' | 'credentialsId' | 'credentialsValue'>;

export function formatCredentials(input: CredentialsInput, opts: { rejectControlChars: boolean }): FormattedCredentials {
    const type = input.credentialsType as CredentialsType | undefined;
    if (!type) throw badRequest('Device credentials type should be specified');
    if (!CREDENTIALS_TYPES.includes(type)) throw badRequest(`Invalid device credentials type: ${String(type)}`);
    let credentialsId = optionalString(input.credentialsId);
    let credentialsValue = optionalString(input.credentialsValue);
    let basic: { clientId?: string; userName?: string; password?: string } | undefined;
    if (type === 'X509_CERTIFICATE') {
        if (credentialsValue === null || credentialsValue === '') throw badRequest('Device credentials value should be specified!');
        ({ credentialsId, credentialsValue } = x509CredentialsId(credentialsValue));
    } else if (type === 'MQTT_BASIC') {
        try {
            basic = JSON.parse(credentialsValue ?? '') as typeof basic;
        } catch {
            throw badRequest('Invalid credentials body for simple mqtt credentials!');
        }
        if (typeof basic !== 'object' || basic === null) throw badRequest('Invalid credentials body for simple mqtt credentials!');
        if (!basic.clientId && !basic.userName) throw badRequest('Both mqtt client id and user name are empty!');
        if (basic.clientId && basic.password && !basic.userName) throw badRequest('Password cannot be specified along with client id');
        if (basic.clientId && !basic.userName) credentialsId = sha3OfParts([basic.clientId]);
        else if (!basic.clientId && basic.userName) credentialsId = sha3OfParts([basic.userName]);
        else credentialsId = sha3OfParts([basic.clientId, basic.userName]);
        credentialsValue = JSON.stringify(basic);
    } else if (type === 'ACCESS_TOKEN') {
        credentialsValue = null;
    }
    if (!credentialsId) throw badRequest('Device credentials id should be specified!');
    // DeviceCredentialsDataValidator.rejectControlChars (4.2.2.3, 4.3.1.3), after formatting.
    if (opts.rejectControlChars) {
        if (CONTROL_CHARS.test(credentialsId)) throw badRequest('credentialsId must not contain control characters!');
        for (const field of ['clientId', 'userName', 'password'] as const) {
            const value = basic?.[field];
            if (typeof value === 'string' && CONTROL_CHARS.test(value)) throw badRequest(`${field} must not contain control characters!`);
        }
    }
    return { credentialsType: type, credentialsId, credentialsValue };
}
