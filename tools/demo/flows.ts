import * as fs from 'fs';
import * as path from 'path';

/** One node of a Node-RED flow file, as far as the demo needs to know it. */
export interface FlowNode {
    id: string;
    type: string;
    [property: string]: unknown;
}

/** Where the config node of the example flows should point. */
export interface ServerEndpoints {
    host: string;
    port: number;
    restUrl: string;
}

export function readFlowFile(file: string): FlowNode[] {
    const flow: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (!Array.isArray(flow)) throw new Error(`${file} is not a flow (a JSON array of nodes)`);
    return flow as FlowNode[];
}

/**
 * The named example flows as one flow file. The examples share their config node (same id:
 * the onboarding flow installs the identity the streaming flow uses), so it is kept once.
 */
export function combineExamples(examplesDir: string, names: string[]): FlowNode[] {
    const byId = new Map<string, FlowNode>();
    for (const name of names) {
        for (const node of readFlowFile(path.join(examplesDir, `${name}.json`))) {
            if (!byId.has(node.id)) byId.set(node.id, node);
        }
    }
    return [...byId.values()];
}

/** Points every tb-x509-config at `server`, the way an operator edits host, port and REST URL. */
export function pointConfigsAt(flow: FlowNode[], server: ServerEndpoints): string[] {
    const ids: string[] = [];
    for (const node of flow) {
        if (node.type !== 'tb-x509-config') continue;
        node.host = server.host;
        node.port = String(server.port);
        node.restUrl = server.restUrl;
        ids.push(node.id);
    }
    return ids;
}
