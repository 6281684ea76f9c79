import { randomBytes, type X509Certificate } from 'crypto';
import * as forge from 'node-forge';
import { leafCredentialsId } from './hash';
import { TbError } from './errors';
import type { TenantStore } from './store';

// X.509 certificate-chain auto-provisioning (reference §3.4), run when the TLS session starts, before CONNECT,
// as ThingsBoard's trust manager does during the handshake.

export type ChainOutcome = 'known' | 'provisioned' | 'updated' | 'failure' | 'none';

const OID_CN = '2.5.4.3';
/** ASN.1 string tags */
const UTF8_STRING = 12;
const NUMERIC_STRING = 18;
const PRINTABLE_STRING = 19;
const IA5_STRING = 22;
const BMP_STRING = 30;
const T61_STRING = 20;
const VISIBLE_STRING = 26;

/** Bouncy Castle's IETFUtils.valueToString: the string form with RFC 4514 specials backslash-escaped. */
function ietfValueToString(value: forge.asn1.Asn1): string {
    const raw = Buffer.from(value.value as string, 'binary');
    let text: string;
    switch (value.type as number) {
        case UTF8_STRING:
            text = raw.toString('utf8');
            break;
        case BMP_STRING:
            text = Buffer.from(raw).swap16().toString('utf16le');
            break;
        case PRINTABLE_STRING:
        case IA5_STRING:
        case T61_STRING:
        case VISIBLE_STRING:
        case NUMERIC_STRING:
            text = raw.toString('latin1');
            break;
        default: // not an ASN1String (or a UniversalString): '#' + hex of the DER
            return '#' + Buffer.from(forge.asn1.toDer(value).getBytes(), 'binary').toString('hex');
    }
    let out = text.startsWith('#') ? '\\' + text : text;
    out = out.replace(/[,"\\+=<>;]/g, (c, offset: number) => (offset === 0 && text.startsWith('#') && c === '\\' ? c : '\\' + c));
    out = out.replace(/^ +/, (spaces) => spaces.replace(/ /g, '\\ '));
    out = out.replace(/ +$/, (spaces) => spaces.replace(/ /g, '\\ '));
    return out;
}

/**
 * The CN ThingsBoard derives the device name from (SslUtil.parseCommonName): the first value of the
 * first subject RDN that holds a CN, through IETFUtils.valueToString, so "a,b" reads "a\\,b".
 * undefined when the subject has no CN.
 */
export function commonName(cert: X509Certificate): string | undefined {
    try {
        const root = forge.asn1.fromDer(forge.util.createBuffer(cert.raw.toString('binary')));
        const fields = (root.value as forge.asn1.Asn1[])[0].value as forge.asn1.Asn1[];
        const offset = fields[0].tagClass === forge.asn1.Class.CONTEXT_SPECIFIC ? 1 : 0;
        for (const rdn of fields[offset + 4].value as forge.asn1.Asn1[]) {
            const attributes = rdn.value as forge.asn1.Asn1[];
            const hasCn = attributes.some((a) => forge.asn1.derToOid((a.value as forge.asn1.Asn1[])[0].value as string) === OID_CN);
            if (hasCn) return ietfValueToString((attributes[0].value as forge.asn1.Asn1[])[1]);
        }
    } catch {
        return undefined;
    }
    return undefined;
}

/**
 * extractDeviceNameFromCNByRegEx: Pattern.compile(regex).matcher(cn).find() then group(1). No CN, an
 * invalid pattern, no match or no group 1 is FAILURE ('fail'); a group 1 that took no part in the match is
 * Java's null, and an empty one is empty: ProvisionRequest then has no name.
 */
function deviceNameFrom(cn: string | undefined, pattern: string): { name: string | undefined } | 'fail' {
    if (cn === undefined) return 'fail';
    let match: RegExpExecArray | null;
    let groups: number;
    try {
        match = new RegExp(pattern).exec(cn);
        // `pattern|` matches "" through its empty branch, so its result shows how many groups there are.
        groups = (new RegExp(`${pattern}|`).exec('') ?? ['']).length - 1;
    } catch {
        return 'fail';
    }
    if (!match || groups < 1) return 'fail'; // group(1) without a group throws IndexOutOfBoundsException
    return { name: match[1] || undefined };
}

/** processCreateDevice names a device without a name with StringUtils.randomAlphanumeric(20). */
function randomAlphanumeric(length: number): string {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    return [...randomBytes(length)].map((b) => alphabet[b % alphabet.length]).join('');
}

/** `chain` is leaf first. */
export function provisionByChain(store: TenantStore, chain: X509Certificate[]): ChainOutcome {
    if (chain.length === 0) return 'none';
    const leaf = chain[0];
    const leafValue = leaf.raw.toString('base64');
    for (const cert of chain) {
        const hash = leafCredentialsId(cert.raw);
        const known = store.findCredentialsById(hash);
        if (known?.credentialsType === 'X509_CERTIFICATE') return 'known';
        const profile = store.findProfileByProvisionKey(hash);
        if (!profile || profile.provisionType !== 'X509_CERTIFICATE_CHAIN') continue;

        const conf = (profile.profileData.provisionConfiguration ?? {}) as Record<string, unknown>;
        const pattern = typeof conf.certificateRegExPattern === 'string' ? conf.certificateRegExPattern : '(.*)';
        const derived = deviceNameFrom(commonName(leaf), pattern);
        if (derived === 'fail') return 'failure';
        const existing = derived.name === undefined ? undefined : store.findDeviceByName(derived.name);
        try {
            if (existing) {
                if (existing.deviceProfileId !== profile.id) return 'failure';
                const credentials = store.getCredentials(existing.id);
                if (credentials?.credentialsType !== 'X509_CERTIFICATE') return 'none'; // token stays; CONNECT then fails
                store.updateCredentials(existing.id, {
                    id: credentials.id,
                    credentialsType: 'X509_CERTIFICATE',
                    credentialsValue: leafValue,
                });
                return 'updated';
            }
            if (conf.allowCreateNewDevicesByX509Certificate !== true) return 'failure';
            const name = derived.name ?? randomAlphanumeric(20);
            store.saveDeviceWithCredentials(
                { name, deviceProfileId: profile.id },
                { credentialsType: 'X509_CERTIFICATE', credentialsValue: leafValue },
            );
            const created = store.findDeviceByName(name);
            if (created) store.setAttributes(created.id, 'SERVER_SCOPE', { provisionState: 'provisioned' });
            return 'provisioned';
        } catch (err) {
            if (err instanceof TbError) return 'failure';
            throw err;
        }
    }
    return 'none';
}
