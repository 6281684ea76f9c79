import type { NodeAPI, NodeStatus } from 'node-red';
import { translate } from './i18n';

export type StatusFill = 'red' | 'green' | 'yellow' | 'blue' | 'grey';

/** A status in catalog terms: `status.<key>` with English fallback. */
export interface StatusSpec {
    fill: StatusFill;
    shape: 'dot' | 'ring';
    key: string;
    english: string;
    params?: Record<string, string | number>;
}

const MAX_STATUS_LENGTH = 40;

export function renderStatus(RED: NodeAPI, spec: StatusSpec): NodeStatus {
    let text = translate(RED, `status.${spec.key}`, spec.english, spec.params);
    if (text.length > MAX_STATUS_LENGTH) text = `${text.slice(0, MAX_STATUS_LENGTH - 1)}…`;
    return { fill: spec.fill, shape: spec.shape, text };
}

export const CLEAR_STATUS: NodeStatus = {};
