import type { ConfigRuntime } from './config-runtime';
import type { CertificateAuthority } from '../pki/ca';
import { fail } from '../thingsboard/messages';
import { certificateForMessage, deviceNameFor, type ProvisionMessage } from '../thingsboard/provision-certificate';
import { provisionViaDeviceApi } from '../thingsboard/provision-device-api';
import type { IfExists, ProvisionResult } from '../thingsboard/provision-result';
import { provisionViaRest } from '../thingsboard/provision-rest';
import { checkCnPattern, DEFAULT_CN_PATTERN, setUpChainProfile, type ChainProfileResult } from '../thingsboard/provision-x509-chain';

export type ProvisionMethod = 'rest' | 'device-api' | 'x509-chain';

export function toProvisionMethod(value: unknown): ProvisionMethod {
    return value === 'device-api' || value === 'x509-chain' ? value : 'rest';
}

/** tb-provision's settings, as the node read them (no Node-RED types). */
export interface ProvisionSettings {
    method: ProvisionMethod;
    deviceProfile?: string;
    label?: string;
    ifExists: IfExists;
    provisionKey?: string;
    provisionSecret?: string;
    /** create (or, over REST, mark) the device as a ThingsBoard gateway */
    gateway?: boolean;
    /** ms to wait for the device API's answer */
    deviceApiTimeoutMs?: number;
    /** x509-chain: the regular expression whose first group turns a CN into the device name (default `(.*)`) */
    cnPattern?: string;
    /** x509-chain: ThingsBoard creates unknown devices that present a chain of the CA (default true) */
    allowCreate?: boolean;
}

/**
 * Method x509-chain: the config's CA becomes the certificate of the device profile
 * `settings.deviceProfile`, so devices it signed are created when they first connect.
 * Checked in the order a user fixes things: the node's own settings, the CA, the account.
 */
export async function setUpChainProvisioning(
    runtime: ConfigRuntime,
    settings: ProvisionSettings,
    ca: CertificateAuthority | undefined,
): Promise<ChainProfileResult> {
    const deviceProfile = settings.deviceProfile?.trim();
    if (!deviceProfile) throw fail('TB_CHAIN_PROFILE_MISSING');
    const cnPattern = settings.cnPattern || DEFAULT_CN_PATTERN;
    checkCnPattern(cnPattern);
    if (!ca) throw fail('TB_CHAIN_NO_CA', { config: runtime.settings.label });
    runtime.rest().assertUsable();
    return setUpChainProfile(runtime.rest(), { deviceProfile, cnPattern, allowCreate: settings.allowCreate !== false, ca });
}

/**
 * One msg through tb-provision: choose the certificate (msg, else the config's identity),
 * the device name (requested, else the certificate's CN), register it with the chosen
 * method, then tell the config so its own refused connection retries at once (and its open
 * connection reconnects when the device was just marked "Is gateway").
 * Configuration problems are reported before the certificate is read, and an unusable
 * certificate before anything is sent.
 */
export async function provisionForMessage(
    runtime: ConfigRuntime,
    settings: ProvisionSettings,
    msg: ProvisionMessage,
    requestedDeviceName: unknown,
): Promise<ProvisionResult> {
    const label = runtime.settings.label;
    if (settings.method === 'rest') runtime.rest().assertUsable();
    const certificate = await certificateForMessage(msg, runtime.identity, label);
    const deviceName = deviceNameFor(requestedDeviceName, certificate);
    const outcome =
        settings.method === 'device-api'
            ? await provisionViaDeviceApi({
                  settings: runtime.settings,
                  caPem: await runtime.identity.caChain(),
                  deviceName,
                  certificate,
                  provisionKey: settings.provisionKey,
                  provisionSecret: settings.provisionSecret,
                  timeoutMs: settings.deviceApiTimeoutMs,
                  gateway: settings.gateway,
              })
            : await provisionViaRest(runtime.rest(), {
                  deviceName,
                  certificate,
                  deviceProfile: settings.deviceProfile,
                  label: settings.label,
                  ifExists: settings.ifExists,
                  gateway: settings.gateway,
              });
    runtime.notifyProvisioned(outcome.credentialsId);
    if (outcome.markedGateway) runtime.notifyGatewayMarked(outcome.credentialsId);
    return outcome.result;
}
