import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { toBoolean } from '../lib/config-settings';
import { findCa } from '../lib/node-red/ca-node';
import { findConfig } from '../lib/node-red/config-node';
import { toUserError } from '../lib/node-red/i18n';
import { renderStatus } from '../lib/node-red/status';
import { CodedError } from '../lib/errors';
import { fail as failPki } from '../lib/pki/messages';
import { fail, provisionStatusFor, STATUS } from '../lib/thingsboard/messages';
import { provisionForMessage, setUpChainProvisioning, toProvisionMethod, type ProvisionSettings } from '../lib/runtime/provision';
import { toIfExists } from '../lib/thingsboard/provision-result';

interface TbProvisionDef extends NodeDef {
    config?: string;
    method?: string;
    deviceName?: string;
    deviceNameType?: string;
    deviceProfile?: string;
    label?: string;
    ifExists?: string;
    gateway?: boolean | string;
    cnPattern?: string;
    allowCreate?: boolean | string;
}

interface TbProvisionCredentials {
    provisionKey?: string;
    provisionSecret?: string;
}

type ProvisionNode = Node<TbProvisionCredentials>;

function register(RED: NodeAPI): void {
    function TbProvision(this: ProvisionNode, def: TbProvisionDef): void {
        RED.nodes.createNode(this, def);
        const node = this;
        const settings: ProvisionSettings = {
            method: toProvisionMethod(def.method),
            deviceProfile: def.deviceProfile?.trim() || undefined,
            label: def.label?.trim() || undefined,
            ifExists: toIfExists(def.ifExists),
            gateway: toBoolean(def.gateway, false),
            provisionKey: node.credentials?.provisionKey,
            provisionSecret: node.credentials?.provisionSecret,
            cnPattern: def.cnPattern || undefined,
            allowCreate: toBoolean(def.allowCreate, true),
        };
        const nameType = def.deviceNameType || 'msg';
        const nameValue = def.deviceName ?? (nameType === 'msg' ? 'deviceName' : '');

        const status = (fill: 'yellow' | 'green' | 'red', shape: 'ring' | 'dot', key: keyof typeof STATUS, params = {}) =>
            node.status(renderStatus(RED, { fill, shape, key, english: STATUS[key], params }));

        const deviceNameOf = (msg: NodeMessageInFlow): Promise<unknown> =>
            new Promise((resolve, reject) => {
                if (nameType === 'msg' && !nameValue) return resolve(undefined);
                RED.util.evaluateNodeProperty(nameValue, nameType, node, msg, (err: Error | null, value: unknown) =>
                    err ? reject(err) : resolve(value),
                );
            });

        node.on('input', (msg: NodeMessageInFlow, send, done) => {
            status('yellow', 'ring', 'provision-busy');
            const run = async () => {
                const config = findConfig(RED, def.config);
                if (!config) throw fail('TB_NO_CONFIG');
                const out = msg as NodeMessageInFlow & { deviceId?: string | null };
                if (settings.method === 'x509-chain') {
                    // The CA's key stays in the tb-x509-ca node: only its certificate goes to ThingsBoard.
                    const caStore = findCa(RED, config.runtime.settings.caId);
                    if (config.runtime.settings.caId && !caStore) throw failPki('CA_MISSING', { config: config.runtime.settings.label });
                    const profile = await setUpChainProvisioning(config.runtime, settings, caStore && (await caStore.authority()));
                    out.payload = profile;
                    return profile.deviceProfile;
                }
                const result = await provisionForMessage(config.runtime, settings, msg, await deviceNameOf(msg));
                out.payload = result;
                out.deviceId = result.deviceId;
                return result.deviceName;
            };
            run().then(
                (name) => {
                    status('green', 'dot', 'provision-done', { name });
                    send(msg);
                    done();
                },
                (err: unknown) => {
                    status('red', 'ring', provisionStatusFor(err instanceof CodedError ? err.code : undefined));
                    done(toUserError(RED, err));
                },
            );
        });
    }
    // @types/node-red cannot type a constructor whose credentials are typed: tsc needs both casts,
    // which the rule's contextual check does not see
    /* eslint-disable @typescript-eslint/no-unnecessary-type-assertion */
    RED.nodes.registerType('tb-provision', TbProvision as never, {
        credentials: { provisionKey: { type: 'text' }, provisionSecret: { type: 'password' } } as never,
    });
    /* eslint-enable @typescript-eslint/no-unnecessary-type-assertion */
}

export = register;
