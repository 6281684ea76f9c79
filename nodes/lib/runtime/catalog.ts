import * as mqtt from '../mqtt/messages';
import * as pki from '../pki/messages';
import * as thingsboard from '../thingsboard/messages';
import type { MessageTable } from '../errors';

function mergeUnique(tables: MessageTable[]): Record<string, string> {
    const merged: Record<string, string> = {};
    for (const table of tables) {
        for (const [key, text] of Object.entries(table)) {
            if (key in merged && merged[key] !== text) throw new Error(`message key ${key} defined twice`);
            merged[key] = text;
        }
    }
    return merged;
}

/** Every runtime error and status text, in English; the build writes them into the en-US catalog. */
export const ERROR_MESSAGES = mergeUnique([pki.ERRORS, thingsboard.ERRORS, mqtt.ERRORS]);
export const STATUS_MESSAGES = mergeUnique([pki.STATUS, thingsboard.STATUS, mqtt.STATUS]);
