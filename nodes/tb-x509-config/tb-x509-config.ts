import * as path from 'path';
import type { NodeAPI, NodeDef } from 'node-red';
import { ConfigRuntime } from '../lib/runtime/config-runtime';
import { normaliseSettings, type ConfigProperties } from '../lib/config-settings';
import type { TbX509ConfigNode } from '../lib/node-red/config-node';

interface TbX509ConfigDef extends NodeDef, Omit<ConfigProperties, 'name'> {}


const CONFIG_CREDENTIALS = {
    ca: { type: 'text' },
    cert: { type: 'text' },
    key: { type: 'password' },
    passphrase: { type: 'password' },
    username: { type: 'text' },
    password: { type: 'password' },
    apiKey: { type: 'password' },
    pkcs12: { type: 'password' },
    pkcs12Password: { type: 'password' },
} as const;

function register(RED: NodeAPI): void {
    function TbX509Config(this: TbX509ConfigNode, def: TbX509ConfigDef): void {
        RED.nodes.createNode(this, def);
        const userDir = (RED.settings as { userDir?: string }).userDir ?? process.cwd();
        const settings = normaliseSettings(def, path.join(userDir, 'tb-x509', def.id));
        this.runtime = new ConfigRuntime(def.id, settings, { ...(this.credentials ?? {}) });
        this.on('close', (_removed: boolean, done: () => void) => {
            this.runtime.close().then(done, done);
        });
    }
    RED.nodes.registerType('tb-x509-config', TbX509Config as never, { credentials: CONFIG_CREDENTIALS });
}

export = register;
