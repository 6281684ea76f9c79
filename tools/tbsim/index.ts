import { EventEmitter } from 'events';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import * as os from 'os';
import * as path from 'path';
import { AuthService, checkUserAccounts, type UserAccountOption } from './auth';
import { MqttServer, type RateLimitViolation, type SessionInfo, type TransportRateLimits } from './mqtt';
import { listenOn } from './listen';
import { loadOrCreatePki } from './pki';
import type { ClientRpcHandler } from './client-rpc';
import type { RpcOutcome } from './device-actors';
import { twoWayApi, twoWayParts, type TbsimTwoWay, type TwoWayOptions } from './sim-twoway';
import { validateRateLimits } from './rate-limits';
import { Release } from './release';
import { createRestHandler } from './rest';
import { SUBSCRIPTION_VIOLATION_MESSAGE, TenantLimits } from './store-limits';
import { TenantStore, type SimDevice, type TelemetryEntry } from './store';

// tbsim: a local ThingsBoard-compatible server (REST subset + MQTT over mutual TLS) for tests, demos and development.

export type { SimDevice, TelemetryEntry, SessionInfo, TransportRateLimits, RateLimitViolation, ClientRpcHandler, RpcOutcome };

export interface TbsimOptions extends TwoWayOptions {
    host?: string;
    restPort?: number;
    mqttPort?: number;
    restTls?: boolean;
    dataDir?: string;
    persistFile?: string;
    tenant?: { username: string; password: string };
    accessTokenTtlSeconds?: number;
    refreshTokenTtlSeconds?: number;
    provisionResponseCloseMs?: number;
    /** Largest MQTT remaining length accepted (ThingsBoard netty.max_payload_size); default 65536. */
    maxPayloadSize?: number;
    /** transport.mqtt.ssl.skip_validity_check_for_client_cert; default false. */
    skipValidityCheckForClientCert?: boolean;
    /** the ThingsBoard release to behave like, e.g. "3.6.4" (reference §9.1); default the newest */
    tbVersion?: string;
    /** tenant-profile transport rate limits by ThingsBoard's field names, e.g. { transportDeviceMsgRateLimit: '10:1,60:10' } (§9.3) */
    rateLimits?: TransportRateLimits;
    /** transport.client_side_rpc.timeout: an unanswered device-to-server RPC gets {"error":"timeout"}; default 60000 */
    clientSideRpcTimeoutMs?: number;
    /** accounts next to the tenant administrator, e.g. a CUSTOMER_USER or an account with two-factor authentication */
    users?: UserAccountOption[];
    /** the tenant profile's maxDevices: creating one more device is refused; 0 or absent = unlimited */
    maxDevices?: number;
    log?: (line: string) => void;
}

export interface Tbsim extends TbsimTwoWay {
    restUrl: string;
    mqttHost: string;
    mqttPort: number;
    caPem: string;
    caFile: string;
    tenant: { username: string; password: string };
    apiKey: string;
    /** the release tbsim behaves like */
    tbVersion: string;
    stop(): Promise<void>;
    setRateLimit(opts: { next429: number }): void;
    /** a tenant-profile update of transport rate limits: the fields given replace theirs (null or '' = unlimited) */
    setTransportRateLimits(limits: TransportRateLimits): void;
    /** the transport rate limits in force */
    transportRateLimits(): TransportRateLimits;
    /** every message a transport rate limit rejected (each also emitted on events as 'rateLimit') */
    rateLimitViolations(): RateLimitViolation[];
    /** Changes the tenant profile's maxDevices (undefined or 0 = unlimited). */
    setMaxDevices(maxDevices: number | undefined): void;
    /**
     * ThingsBoard Cloud's subscription check: while on, creating a device answers 403 errorCode 40
     * (message default "Maximum allowed devices limit reached!").
     */
    setSubscriptionViolation(on: boolean | { message: string }): void;
    expireAccessTokens(): void;
    /** A fresh tenant-administrator JWT without a login round trip (for tests on releases without API keys). */
    adminAccessToken(): string;
    /**
     * For X509_CERTIFICATE_CHAIN, provisionDeviceSecret is the CA/intermediate PEM; the provision key is then derived
     * from it (§3.4) and returned.
     */
    createDeviceProfile(p: {
        name: string;
        provisionType?: 'DISABLED' | 'ALLOW_CREATE_NEW_DEVICES' | 'CHECK_PRE_PROVISIONED_DEVICES' | 'X509_CERTIFICATE_CHAIN';
        provisionDeviceKey?: string;
        provisionDeviceSecret?: string;
        certificateRegExPattern?: string;
        allowCreateNewDevicesByX509Certificate?: boolean;
    }): { id: string; provisionDeviceKey: string | null };
    findDeviceByName(name: string): SimDevice | undefined;
    telemetry(deviceId: string): Array<{ ts: number; values: Record<string, unknown> }>;
    attributes(deviceId: string): Record<string, unknown>;
    /** Server-scope attributes, e.g. provisionState after provisioning. */
    serverAttributes(deviceId: string): Record<string, unknown>;
    sessions(): Array<{ deviceId: string; clientId: string; protocolVersion: number }>;
    loginCount(): number;
    requestLog(): Array<{ method: string; path: string; status: number }>;
    events: EventEmitter;
}

/** Clients cannot dial a wildcard address, and the server certificate names localhost / 127.0.0.1 / ::1. */
function dialHost(host: string): string {
    if (host === '0.0.0.0' || host === '') return '127.0.0.1';
    if (host === '::') return '::1';
    return host;
}

function urlHost(host: string): string {
    const dial = dialHost(host);
    return dial.includes(':') ? `[${dial}]` : dial;
}

export async function startTbsim(opts: TbsimOptions = {}): Promise<Tbsim> {
    const release = new Release(opts.tbVersion);
    validateRateLimits(opts.rateLimits ?? {}); // before anything listens
    const host = opts.host ?? '127.0.0.1';
    const log = opts.log ?? ((): void => undefined);
    const tenant = opts.tenant ?? { username: 'tenant@thingsboard.org', password: 'tenant' };
    // bad options fail before anything is created
    checkUserAccounts(opts.users ?? [], tenant.username);
    new TenantLimits(release).setMaxDevices(opts.maxDevices);
    const tempDir = opts.dataDir ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), 'tbsim-'));
    const dataDir = opts.dataDir ?? tempDir ?? '';
    const pki = await loadOrCreatePki(dataDir, { extraNames: [host] });

    const store = new TenantStore(release);
    if (opts.persistFile) store.load(opts.persistFile);
    store.ensureDefaultProfile();
    const auth = new AuthService(
        { email: tenant.username, password: tenant.password, userId: store.userId, tenantId: store.tenantId },
        { access: opts.accessTokenTtlSeconds ?? 9000, refresh: opts.refreshTokenTtlSeconds ?? 604800 },
        { jwtKey: store.jwtKey, apiKey: store.apiKey },
        release,
        opts.users ?? [],
    );
    store.limits.setMaxDevices(opts.maxDevices);
    store.jwtKey = auth.jwtKey;
    store.apiKey = auth.apiKey;

    let saveTimer: NodeJS.Timeout | undefined;
    const persist = (): void => {
        if (!opts.persistFile) return;
        try {
            store.save(opts.persistFile);
        } catch (err) {
            log(`tbsim: could not write ${opts.persistFile}: ${(err as Error).message}`);
        }
    };
    if (opts.persistFile) {
        persist();
        store.on('changed', () => {
            saveTimer ??= setTimeout(() => {
                saveTimer = undefined;
                persist();
            }, 200);
        });
    }

    const events = new EventEmitter();
    events.setMaxListeners(0);
    const rateLimit = { next429: 0 };
    const requestLog: Array<{ method: string; path: string; status: number }> = [];
    const twoWay = twoWayParts(opts);
    const { actors, clientRpc, serverSideRpc } = twoWay;
    const handler = createRestHandler({ store, auth, release, caPem: pki.caPem, rateLimit, requestLog, log, actors, serverSideRpc });
    const restTls = opts.restTls ?? true;
    const restServer = restTls ? https.createServer({ key: pki.keyPem, cert: pki.certPem }, handler) : http.createServer(handler);
    const restPort = await listenOn(restServer, opts.restPort ?? 0, host);

    const mqtt = new MqttServer({
        store,
        events,
        release,
        log,
        tls: { key: pki.keyPem, cert: pki.certPem },
        maxPayloadSize: opts.maxPayloadSize ?? 65536,
        provisionResponseCloseMs: opts.provisionResponseCloseMs ?? 60000,
        skipValidityCheck: opts.skipValidityCheckForClientCert ?? false,
        rateLimits: opts.rateLimits ?? {},
        clientSideRpcTimeoutMs: opts.clientSideRpcTimeoutMs ?? 60000,
        actors,
        clientRpc,
    });
    let mqttPort: number;
    try {
        mqttPort = await mqtt.listen(opts.mqttPort ?? 0, host);
    } catch (err) {
        restServer.close();
        throw err;
    }
    const restUrl = `${restTls ? 'https' : 'http'}://${urlHost(host)}:${restPort}`;
    log(`tbsim (ThingsBoard ${release.version}): REST ${restUrl}, MQTT TLS ${dialHost(host)}:${mqttPort}, CA ${pki.caFile}`);

    let stopped = false;
    return {
        restUrl,
        mqttHost: dialHost(host),
        mqttPort,
        caPem: pki.caPem,
        caFile: pki.caFile,
        tenant: { ...tenant },
        apiKey: auth.apiKey,
        tbVersion: release.version,
        events,
        async stop(): Promise<void> {
            if (stopped) return;
            stopped = true;
            if (saveTimer) clearTimeout(saveTimer);
            actors.stop();
            persist();
            await Promise.all([
                mqtt.close(),
                new Promise<void>((resolve) => {
                    restServer.close(() => resolve());
                    restServer.closeAllConnections?.();
                }),
            ]);
            if (tempDir) fs.rmSync(tempDir, { recursive: true, force: true });
        },
        setRateLimit({ next429 }): void {
            rateLimit.next429 = next429;
        },
        setTransportRateLimits(limits): void {
            mqtt.limiter.set(limits);
        },
        transportRateLimits: () => mqtt.limiter.limits(),
        rateLimitViolations: () => mqtt.rateLimitViolations(),
        setMaxDevices(maxDevices): void {
            store.limits.setMaxDevices(maxDevices);
        },
        setSubscriptionViolation(on): void {
            store.limits.subscriptionViolation =
                on === false ? undefined : on === true ? SUBSCRIPTION_VIOLATION_MESSAGE : on.message;
        },
        expireAccessTokens(): void {
            auth.expireAccessTokens();
        },
        adminAccessToken: () => auth.adminAccessToken(),
        createDeviceProfile(p): { id: string; provisionDeviceKey: string | null } {
            const provisionType = (p.provisionType ?? 'DISABLED');
            const profile = store.createProfile({
                name: p.name,
                provisionType,
                provisionDeviceKey: p.provisionDeviceKey,
                provisionDeviceSecret: p.provisionDeviceSecret,
                profileData:
                    provisionType === 'X509_CERTIFICATE_CHAIN'
                        ? {
                              configuration: { type: 'DEFAULT' },
                              transportConfiguration: { type: 'DEFAULT' },
                              provisionConfiguration: {
                                  type: provisionType,
                                  certificateRegExPattern: p.certificateRegExPattern ?? '(.*)',
                                  allowCreateNewDevicesByX509Certificate: p.allowCreateNewDevicesByX509Certificate ?? true,
                              },
                          }
                        : undefined,
            });
            return { id: profile.id, provisionDeviceKey: profile.provisionDeviceKey };
        },
        findDeviceByName(name): SimDevice | undefined {
            const device = store.findDeviceByName(name);
            return device ? store.simDevice(device) : undefined;
        },
        telemetry(deviceId): TelemetryEntry[] {
            return store.telemetry(deviceId).map((e) => ({ ts: e.ts, values: { ...e.values } }));
        },
        attributes(deviceId): Record<string, unknown> {
            return Object.fromEntries(Object.entries(store.attributes(deviceId, 'CLIENT_SCOPE')).map(([k, v]) => [k, v.value]));
        },
        serverAttributes(deviceId): Record<string, unknown> {
            return Object.fromEntries(Object.entries(store.attributes(deviceId, 'SERVER_SCOPE')).map(([k, v]) => [k, v.value]));
        },
        sessions() {
            return mqtt.sessions().map((s) => ({ deviceId: s.deviceId, clientId: s.clientId, protocolVersion: s.protocolVersion }));
        },
        ...twoWayApi(twoWay, store, mqtt),
        loginCount: () => auth.loginCount(),
        requestLog: () => requestLog.map((r) => ({ ...r })),
    };
}
