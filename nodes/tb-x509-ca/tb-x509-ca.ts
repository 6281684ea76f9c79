import * as path from 'path';
import type { NodeAPI, NodeDef } from 'node-red';
import { toNumber } from '../lib/config-settings';
import type { TbX509CaNode } from '../lib/node-red/ca-node';
import { CaStore, DEFAULT_CA_DAYS, type CaCredentials } from '../lib/pki/ca-store';
import { MAX_DAYS } from '../lib/pki/generate';

interface TbX509CaDef extends NodeDef {
    keyStore?: string;
    days?: number | string;
    certFile?: string;
    keyFile?: string;
}

const CA_CREDENTIALS = {
    cert: { type: 'text' },
    key: { type: 'password' },
    passphrase: { type: 'password' },
} as const;

function blankToUndefined(value: string | undefined): string | undefined {
    const trimmed = value?.trim();
    return trimmed ? trimmed : undefined;
}

function register(RED: NodeAPI): void {
    function TbX509Ca(this: TbX509CaNode & { credentials?: CaCredentials }, def: TbX509CaDef): void {
        RED.nodes.createNode(this, def);
        const userDir = (RED.settings as { userDir?: string }).userDir ?? process.cwd();
        const days = toNumber(def.days, DEFAULT_CA_DAYS);
        this.caStore = new CaStore(
            {
                name: blankToUndefined(def.name) ?? 'tb-x509-ca',
                keyStoreDir: blankToUndefined(def.keyStore) ?? path.join(userDir, 'tb-x509-ca', def.id),
                days: Number.isInteger(days) && days >= 1 && days <= MAX_DAYS ? days : DEFAULT_CA_DAYS,
                certFile: blankToUndefined(def.certFile),
                keyFile: blankToUndefined(def.keyFile),
            },
            { ...(this.credentials ?? {}) },
        );
    }
    RED.nodes.registerType('tb-x509-ca', TbX509Ca as never, { credentials: CA_CREDENTIALS });
}

export = register;
