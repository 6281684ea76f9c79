/**
 * Asks ThingsBoard for the session's rate limits: the device RPC getSessionLimits (3.8+).
 * Older servers never answer, so nobody waits for it longer than a short timeout.
 */
import { parseSessionLimits, type SessionLimits } from './rate-limits';
import type { Session } from './session';

export const RPC_RESPONSE_FILTER = 'v1/devices/me/rpc/response/+';
const RESPONSE_PREFIX = 'v1/devices/me/rpc/response/';

/** Request ids of this process: far from the small ids a flow's own RPC requests use. */
let nextRequestId = 900_000_000 + Math.floor(Math.random() * 1000) * 1000;

export class SessionLimitsRequest {
    private readonly requestId = nextRequestId++;

    constructor(private readonly onAnswer: (limits: SessionLimits) => void) {}

    /** Subscribes to RPC responses and asks; `sent` runs once the request is written (or failed). */
    send(session: Session, sent: () => void): void {
        session.subscribe(RPC_RESPONSE_FILTER, () => undefined);
        const body = JSON.stringify({ method: 'getSessionLimits', params: {} });
        session.publish(`v1/devices/me/rpc/request/${this.requestId}`, body, 1, () => sent());
    }

    /** True when the message was the answer (it is then consumed). */
    handle(topic: string, payload: Buffer): boolean {
        if (topic !== `${RESPONSE_PREFIX}${this.requestId}`) return false;
        let parsed: unknown;
        try {
            parsed = JSON.parse(payload.toString('utf8'));
        } catch {
            return true;
        }
        const limits = parseSessionLimits(parsed);
        if (limits) this.onAnswer(limits);
        return true;
    }
}
