import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { findCa } from '../lib/node-red/ca-node';
import { findConfig } from '../lib/node-red/config-node';
import { toUserError, userMessage } from '../lib/node-red/i18n';
import { renderStatus } from '../lib/node-red/status';
import { toBoolean } from '../lib/config-settings';
import { obtainIdentity, type ObtainedIdentity, type ObtainTarget } from '../lib/pki/obtain-identity';
import { fail, STATUS } from '../lib/pki/messages';

interface X509GenerateDef extends NodeDef {
    config?: string;
    keyType?: string;
    rsaBits?: number | string;
    curve?: string;
    commonName?: string;
    commonNameType?: string;
    days?: number | string;
    reuse?: boolean | string;
    includeKey?: boolean | string;
    renewBefore?: number | string;
}

interface GeneratePayload {
    certificate: string;
    chain: string;
    fingerprint: string;
    commonName: string;
    keyType: string;
    notBefore: string;
    notAfter: string;
    reused: boolean;
    privateKey?: string;
}

function payloadOf(identity: ObtainedIdentity, includeKey: boolean): GeneratePayload {
    const payload: GeneratePayload = {
        certificate: identity.certPem,
        chain: identity.chainPem,
        fingerprint: identity.fingerprint,
        commonName: identity.commonName,
        keyType: identity.keyType,
        notBefore: identity.notBefore.toISOString(),
        notAfter: identity.notAfter.toISOString(),
        reused: identity.reused,
    };
    if (includeKey) payload.privateKey = identity.keyPem;
    return payload;
}

function register(RED: NodeAPI): void {
    function X509Generate(this: Node, def: X509GenerateDef): void {
        RED.nodes.createNode(this, def);
        const node = this;
        const commonNameType = def.commonNameType || 'msg';
        const commonNameValue = def.commonName ?? (commonNameType === 'msg' ? 'deviceName' : '');
        const reuse = toBoolean(def.reuse, true);
        const includeKey = toBoolean(def.includeKey, false);

        function evaluateCommonName(msg: NodeMessageInFlow): Promise<unknown> {
            return new Promise((resolve, reject) => {
                RED.util.evaluateNodeProperty(commonNameValue, commonNameType, node, msg, (err, value) =>
                    err ? reject(err) : resolve(value),
                );
            });
        }

        async function handle(msg: NodeMessageInFlow): Promise<ObtainedIdentity> {
            const target: ObtainTarget = {};
            if (def.config) {
                const config = findConfig(RED, def.config);
                if (!config) throw fail('GENERATE_CONFIG_MISSING');
                const { settings } = config.runtime;
                if (settings.identityMode === 'fleet') target.fleet = config.runtime.fleetIdentities();
                else target.provider = config.runtime.identity;
                if (settings.caId) {
                    const ca = findCa(RED, settings.caId);
                    if (!ca) throw fail('CA_MISSING', { config: config.runtime.identity.configLabel });
                    target.ca = await ca.authority();
                }
            }
            const commonName = await evaluateCommonName(msg);
            if (typeof commonName === 'string' && commonName.trim()) {
                node.status(renderStatus(RED, { fill: 'blue', shape: 'ring', key: 'generate-busy', english: STATUS['generate-busy'], params: { commonName: commonName.trim() } }));
            }
            return obtainIdentity(
                { keyType: def.keyType, rsaBits: def.rsaBits, curve: def.curve, days: def.days, commonName, reuse, renewBefore: def.renewBefore },
                target,
            );
        }

        node.on('input', (msg, send, done) => {
            handle(msg).then(
                (identity) => {
                    const out = msg as NodeMessageInFlow & { deviceName?: string };
                    out.deviceName = identity.commonName;
                    out.payload = payloadOf(identity, includeKey);
                    node.status(
                        identity.reused
                            ? renderStatus(RED, { fill: 'blue', shape: 'dot', key: 'generate-reused', english: STATUS['generate-reused'], params: { commonName: identity.commonName } })
                            : renderStatus(RED, { fill: 'green', shape: 'dot', key: 'generate-done', english: STATUS['generate-done'], params: { commonName: identity.commonName } }),
                    );
                    send(out);
                    done();
                },
                (err: unknown) => {
                    node.status(
                        renderStatus(RED, { fill: 'red', shape: 'ring', key: 'generate-failed', english: STATUS['generate-failed'], params: { reason: userMessage(RED, err) } }),
                    );
                    done(toUserError(RED, err));
                },
            );
        });
    }
    RED.nodes.registerType('x509-generate', X509Generate);
}

export = register;
