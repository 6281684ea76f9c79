import type { Node, NodeAPI } from 'node-red';
import type { ConfigRuntime } from '../runtime/config-runtime';
import type { ConfigCredentials } from '../config-settings';

/** A deployed tb-x509-config, as flow nodes see it through RED.nodes.getNode(). */
export interface TbX509ConfigNode extends Node<ConfigCredentials> {
    runtime: ConfigRuntime;
}

/** The config runtime a flow node points at, or undefined when unset or not deployed. */
export function findConfig(RED: NodeAPI, configId: string | undefined): TbX509ConfigNode | undefined {
    if (!configId) return undefined;
    const node = RED.nodes.getNode(configId) as Partial<TbX509ConfigNode> | null;
    return node && node.runtime ? (node as TbX509ConfigNode) : undefined;
}
