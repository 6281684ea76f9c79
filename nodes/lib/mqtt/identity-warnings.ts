import type { CodedError } from '../errors';
import type { LoadedIdentity } from '../pki/loaded-identity';
import { validityProblem } from '../pki/validity';
import { fail } from './messages';

/** What users are warned of before connecting with `identity`, each with a key to warn once. */
export function identityWarnings(identity: LoadedIdentity, config: string): Array<{ key: string; warning: CodedError }> {
    const warnings: Array<{ key: string; warning: CodedError }> = [];
    const problem = validityProblem(identity, config);
    if (problem) warnings.push({ key: `${problem.code}:${identity.credentialsId}`, warning: problem });
    const dropped = identity.droppedCertificates ?? [];
    if (dropped.length > 0) {
        const names = dropped.map((name) => `"${name}"`).join(', ');
        warnings.push({
            key: `dropped:${identity.credentialsId}:${names}`,
            warning: fail('MQTT_CHAIN_CERTS_DROPPED', { config, commonName: identity.commonName, names }),
        });
    }
    return warnings;
}
