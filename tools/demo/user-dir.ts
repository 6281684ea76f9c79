import * as fs from 'fs';
import * as path from 'path';
import { readCredentialsFile, writeCredentialsFile } from './credentials-file';
import { combineExamples, pointConfigsAt, readFlowFile, type ServerEndpoints } from './flows';

/** Fixed on purpose: the demo's credentials file only ever holds the local stand-in's login and CA. */
export const DEMO_CREDENTIAL_SECRET = 'tb-x509-demo: local demo only, not a secret';
export const DEMO_EXAMPLES = ['1 Onboard a device', '2 Stream a simulated sensor'];

export interface DemoUserDirOptions {
    userDir: string;
    packageRoot: string;
    server: ServerEndpoints;
    caPem: string;
    tenant: { username: string; password: string };
    /** Example flows (file names in examples/ without .json) for a new user dir; default DEMO_EXAMPLES. */
    examples?: string[];
}

/**
 * Lays out a Node-RED user dir for the demo: settings.js, this package linked into node_modules
 * (as `npm install <path>` would), the example flows pointed at the server, and the config node's
 * CA and tenant login in the encrypted credentials file (never in the flow JSON).
 * An existing flow file is kept (the user's edits survive a restart); only its configs are re-pointed.
 */
export function prepareUserDir(opts: DemoUserDirOptions): { flowFile: string; configIds: string[] } {
    const { userDir, packageRoot } = opts;
    fs.mkdirSync(userDir, { recursive: true });
    const pkg = JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { name: string };

    fs.writeFileSync(path.join(userDir, 'settings.js'), settingsFile());
    fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({
        name: 'tb-x509-demo', description: 'Node-RED user dir of the tb-x509 demo (npm start)', private: true,
        dependencies: { [pkg.name]: `file:${packageRoot}` },
    }, null, 4));
    linkPackage(path.join(userDir, 'node_modules', pkg.name), packageRoot);

    const flowFile = path.join(userDir, 'flows.json');
    const flow = fs.existsSync(flowFile)
        ? readFlowFile(flowFile)
        : combineExamples(path.join(packageRoot, 'examples'), opts.examples ?? DEMO_EXAMPLES);
    const configIds = pointConfigsAt(flow, opts.server);
    fs.writeFileSync(flowFile, JSON.stringify(flow, null, 4));

    const credFile = path.join(userDir, 'flows_cred.json');
    const credentials = readCredentialsFile(credFile, DEMO_CREDENTIAL_SECRET);
    for (const id of configIds) {
        credentials[id] = {
            ...(credentials[id] ?? {}),
            ca: opts.caPem,
            username: opts.tenant.username,
            password: opts.tenant.password,
        };
    }
    writeCredentialsFile(credFile, DEMO_CREDENTIAL_SECRET, credentials);
    return { flowFile, configIds };
}

function linkPackage(link: string, target: string): void {
    fs.mkdirSync(path.dirname(link), { recursive: true });
    try {
        if (fs.realpathSync(link) === fs.realpathSync(target)) return;
    } catch {
        // no link yet
    }
    fs.rmSync(link, { recursive: true, force: true });
    fs.symlinkSync(target, link, 'dir');
}

function settingsFile(): string {
    return `// Written by the tb-x509 demo (npm start) at every start: edit tools/demo/user-dir.ts instead.
module.exports = {
    flowFile: 'flows.json',
    flowFilePretty: true,
    // Fixed for the demo so its credentials file can be prepared before Node-RED starts.
    credentialSecret: ${JSON.stringify(DEMO_CREDENTIAL_SECRET)},
    // No admin login is configured: listen on loopback only.
    uiHost: '127.0.0.1',
    editorTheme: { projects: { enabled: false }, tours: false },
    logging: { console: { level: 'info', metrics: false, audit: false } },
};
`;
}
