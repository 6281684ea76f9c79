import { DEVICE_FILTERS, PROVISION_RESPONSE, RC, UPDATE_SUBSCRIPTIONS } from './mqtt-codes';

// A session's subscriptions (reference §2.6; MTH processSubscribe / registerSubQoS / getQoSForTopic): exact filters
// only, granted QoS at most 1, nothing kept across sessions.

export class Subscriptions {
    private readonly qosByFilter = new Map<string, number>();

    /**
     * The SUBACK codes for `requested`. `onUpdateSubscription` runs for a subscription to attribute updates or RPC
     * with its filter: that is a message to the device actor (and so counts against the rate limits).
     */
    grant(
        requested: Array<{ topic: string; qos: number }>,
        opts: { provision: boolean; protocolVersion: number; onUpdateSubscription: (filter: string) => void },
    ): number[] {
        return requested.map((s) => {
            const allowed = opts.provision ? s.topic === PROVISION_RESPONSE : DEVICE_FILTERS.has(s.topic);
            if (!allowed) return opts.protocolVersion === 5 ? RC.TOPIC_FILTER_INVALID : 0x80;
            const qos = Math.min(s.qos, 1);
            if (!opts.provision && UPDATE_SUBSCRIPTIONS.has(s.topic)) opts.onUpdateSubscription(s.topic);
            this.qosByFilter.set(s.topic, qos);
            return qos;
        });
    }

    remove(filters: string[]): void {
        for (const filter of filters) this.qosByFilter.delete(filter);
    }

    /** The QoS of the subscription matching `topic` (exact, or a trailing "/+"), undefined when none does. */
    qosFor(topic: string): number | undefined {
        const exact = this.qosByFilter.get(topic);
        if (exact !== undefined) return exact;
        for (const [filter, qos] of this.qosByFilter) {
            if (filter.endsWith('/+') && topic.startsWith(filter.slice(0, -1)) && !topic.slice(filter.length - 1).includes('/')) {
                return qos;
            }
        }
        return undefined;
    }
}
