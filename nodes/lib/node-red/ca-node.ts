import type { Node, NodeAPI } from 'node-red';
import type { CaStore } from '../pki/ca-store';

/** A deployed tb-x509-ca, as other nodes see it through RED.nodes.getNode(). */
export interface TbX509CaNode extends Node {
    caStore: CaStore;
}

/** The CA store of a tb-x509-ca node id, or undefined when unset or not deployed. */
export function findCa(RED: NodeAPI, caId: string | undefined): CaStore | undefined {
    if (!caId) return undefined;
    const node = RED.nodes.getNode(caId) as Partial<TbX509CaNode> | null;
    return node?.caStore;
}
