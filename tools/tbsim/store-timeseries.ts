import type { AttributeScope, AttributeValue, TelemetryEntry } from './store-types';

// What devices report and what is set on them: timeseries entries and attributes per scope.

type ScopedAttributes = Partial<Record<AttributeScope, Record<string, AttributeValue>>>;

export class DeviceDataTable {
    private readonly telemetryByDevice = new Map<string, TelemetryEntry[]>();
    private readonly attributesByDevice = new Map<string, ScopedAttributes>();

    load(telemetry: Record<string, TelemetryEntry[]> | undefined, attributes: Record<string, ScopedAttributes> | undefined): void {
        for (const [id, entries] of Object.entries(telemetry ?? {})) this.telemetryByDevice.set(id, entries);
        for (const [id, attrs] of Object.entries(attributes ?? {})) this.attributesByDevice.set(id, attrs);
    }

    snapshot(): { telemetry: Record<string, TelemetryEntry[]>; attributes: Record<string, ScopedAttributes> } {
        return { telemetry: Object.fromEntries(this.telemetryByDevice), attributes: Object.fromEntries(this.attributesByDevice) };
    }

    addTelemetry(deviceId: string, entries: TelemetryEntry[]): void {
        let list = this.telemetryByDevice.get(deviceId);
        if (!list) this.telemetryByDevice.set(deviceId, (list = []));
        list.push(...entries);
    }

    telemetry(deviceId: string): TelemetryEntry[] {
        return this.telemetryByDevice.get(deviceId) ?? [];
    }

    setAttributes(deviceId: string, scope: AttributeScope, values: Record<string, unknown>): void {
        let byScope = this.attributesByDevice.get(deviceId);
        if (!byScope) this.attributesByDevice.set(deviceId, (byScope = {}));
        const target = (byScope[scope] ??= {});
        const now = Date.now();
        for (const [key, value] of Object.entries(values)) target[key] = { value, lastUpdateTs: now };
    }

    attributes(deviceId: string, scope: AttributeScope): Record<string, AttributeValue> {
        return this.attributesByDevice.get(deviceId)?.[scope] ?? {};
    }

    deleteAttributes(deviceId: string, scope: AttributeScope, keys: string[]): void {
        const target = this.attributesByDevice.get(deviceId)?.[scope];
        if (target) for (const key of keys) delete target[key];
    }

    deleteDevice(deviceId: string): void {
        this.telemetryByDevice.delete(deviceId);
        this.attributesByDevice.delete(deviceId);
    }
}
