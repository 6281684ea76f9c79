'use strict';
// Transport rate limits (reference §9.3; DefaultTransportService.checkLimits, DefaultTransportRateLimitService,
// TbRateLimits) and the getSessionLimits RPC (§4.3; MqttTransportHandler.onGetSessionLimitsRpc).
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { startTbsim, tempDir, x509Device, connectedRaw, waitPacket, waitFor } = require('./support');
const { RateLimit } = require(path.resolve(__dirname, '..', '..', 'dist', 'tools', 'tbsim', 'rate-limits.js'));

const pubackFor = (id) => (p) => p.cmd === 'puback' && p.messageId === id;
const cmds = (session) => session.packets.map((p) => p.cmd);

function publish(session, messageId, topic, body) {
    session.send({ cmd: 'publish', topic, payload: Buffer.from(JSON.stringify(body)), qos: 1, messageId, retain: false, dup: false });
}

describe('tbsim transport rate limits', function () {
    describe('bucket semantics (TbRateLimits: bucket4j, greedy refill, all bandwidths at once)', function () {
        it('starts full, refills continuously and consumes from every bandwidth or none', function () {
            let now = 0;
            const limit = new RateLimit('2:10,3:60', () => now);
            assert.deepStrictEqual([limit.tryConsume(), limit.tryConsume(), limit.tryConsume()], [true, true, false]);
            now = 5000; // greedy: half of 2 tokens per 10 s is back after 5 s
            assert.strictEqual(limit.tryConsume(), true);
            now = 20000; // the 10 s bandwidth is full again, the 60 s one has 3 - 3 + 20/60*3 = 1 token
            assert.strictEqual(limit.tryConsume(), true);
            assert.strictEqual(limit.tryConsume(), false);
            now = 40000; // 10 s bandwidth: 2 tokens; 60 s bandwidth: 1 token — a request for 2 takes none
            assert.strictEqual(limit.tryConsume(2), false);
            assert.strictEqual(limit.tryConsume(1), true);
        });

        it('refuses limit strings the tenant profile would refuse', async function () {
            for (const bad of ['10', '10:1;60:10', ' 10:1', '10:1,20:1']) {
                await assert.rejects(startTbsim({ rateLimits: { transportDeviceMsgRateLimit: bad } }), /rate limit/);
            }
            await assert.rejects(startTbsim({ rateLimits: { transportDeviceMessages: '10:1' } }), /unknown tenant-profile field "transportDeviceMessages"/);
        });
    });

    describe('on ThingsBoard 4.3.1.3', function () {
        let sim;
        let dir;
        const sessions = [];
        async function raw(opts) {
            const s = await connectedRaw(sim, opts);
            sessions.push(s);
            return s;
        }

        before(async function () {
            dir = tempDir();
            sim = await startTbsim({ rateLimits: { transportDeviceTelemetryMsgRateLimit: '2:60' } });
        });
        afterEach(function () {
            for (const s of sessions.splice(0)) s.socket.destroy();
        });
        after(async function () {
            await sim.stop();
            fs.rmSync(dir, { recursive: true, force: true });
        });

        it('closes an MQTT 5 session over the telemetry limit with DISCONNECT 0x83 and no PUBACK, and notifies the tenant', async function () {
            const { cert, deviceId } = await x509Device(sim, dir, 'busy-v5');
            const notified = [];
            const onLimit = (v) => notified.push(v);
            sim.events.on('rateLimit', onLimit);
            const session = await raw({ protocolVersion: 5, cert });
            for (const id of [1, 2, 3]) publish(session, id, 'v1/devices/me/telemetry', { n: id });
            await session.closedPromise;
            sim.events.off('rateLimit', onLimit);
            assert.deepStrictEqual(session.packets.map((p) => [p.cmd, p.messageId ?? p.reasonCode]), [
                ['connack', 0], ['puback', 1], ['puback', 2], ['disconnect', 0x83],
            ]);
            assert.deepStrictEqual(sim.telemetry(deviceId).map((e) => e.values), [{ n: 1 }, { n: 2 }]);
            assert.strictEqual(notified.length, 1);
            assert.deepStrictEqual(
                { api: notified[0].api, entityId: notified[0].entityId, entityName: notified[0].entityName, level: notified[0].level },
                { api: 'TRANSPORT_MESSAGES_PER_DEVICE', entityId: deviceId, entityName: 'busy-v5', level: 'device' },
            );
            assert.ok(sim.rateLimitViolations().some((v) => v.entityId === deviceId));
        });

        it('closes an MQTT 3.1.1 session over the limit without any packet and without the PUBACK', async function () {
            const { cert } = await x509Device(sim, dir, 'busy-v3');
            const session = await raw({ protocolVersion: 4, cert });
            for (const id of [1, 2, 3]) publish(session, id, 'v1/devices/me/telemetry', { n: id });
            await session.closedPromise;
            assert.deepStrictEqual(cmds(session), ['connack', 'puback', 'puback']);
        });

        it('counts data points across a message and CONNECT against the message limit; a runtime update applies at once', async function () {
            sim.setTransportRateLimits({ transportDeviceTelemetryMsgRateLimit: null, transportDeviceTelemetryDataPointsRateLimit: '5:60', transportDeviceMsgRateLimit: '1:60' });
            try {
                const { cert, deviceId } = await x509Device(sim, dir, 'points');
                const first = await raw({ protocolVersion: 5, cert }); // the session-open event takes the one message
                assert.strictEqual(first.connack.reasonCode, 0);
                publish(first, 1, 'v1/devices/me/telemetry', { a: 1, b: 2, c: 3 });
                await waitPacket(first, pubackFor(1), 'PUBACK of 3 data points');
                publish(first, 2, 'v1/devices/me/telemetry', [{ d: 4 }, { e: 5, f: 6 }]); // 3 more: over 5
                await first.closedPromise;
                assert.deepStrictEqual(first.packets.map((p) => p.cmd), ['connack', 'puback', 'disconnect']);
                assert.deepStrictEqual(sim.telemetry(deviceId).map((e) => e.values), [{ a: 1, b: 2, c: 3 }]);

                // reconnecting while the message bucket is empty: CONNACK 0x9F, then DISCONNECT 0x96 (3.1.1: return code 3)
                const again = await raw({ protocolVersion: 5, cert });
                await again.closedPromise;
                assert.deepStrictEqual(again.packets.map((p) => [p.cmd, p.reasonCode]), [['connack', 0x9f], ['disconnect', 0x96]]);
                const v3 = await raw({ protocolVersion: 4, cert });
                assert.strictEqual(v3.connack.returnCode, 3);

                sim.setTransportRateLimits({ transportDeviceMsgRateLimit: '' });
                assert.strictEqual((await raw({ protocolVersion: 5, cert })).connack.reasonCode, 0);
            } finally {
                sim.setTransportRateLimits({ transportDeviceTelemetryMsgRateLimit: '2:60', transportDeviceTelemetryDataPointsRateLimit: null, transportDeviceMsgRateLimit: null });
            }
        });

        it('limits a gateway\'s sub-devices by the gateway limits only: PUBACK 0x97, then a bare close', async function () {
            sim.setTransportRateLimits({ transportGatewayTelemetryMsgRateLimit: '1:60' });
            try {
                const { cert } = await x509Device(sim, dir, 'busy-gw', { gateway: true });
                const session = await raw({ protocolVersion: 5, cert });
                // device limits (2 telemetry messages per device) do not apply to sub-devices
                publish(session, 1, 'v1/gateway/telemetry', { 'Busy Sub A': [{ t: 1 }] });
                await waitPacket(session, pubackFor(1), 'PUBACK of the first gateway telemetry');
                publish(session, 2, 'v1/gateway/telemetry', { 'Busy Sub B': [{ t: 2 }] });
                await session.closedPromise;
                assert.deepStrictEqual(session.packets.map((p) => [p.cmd, p.reasonCode]), [['connack', 0], ['puback', 0], ['puback', 0x97]]);
                const violation = sim.rateLimitViolations().pop();
                assert.strictEqual(violation.api, 'TRANSPORT_MESSAGES_PER_GATEWAY');
                assert.strictEqual(violation.entityName, 'Busy Sub B');
            } finally {
                sim.setTransportRateLimits({ transportGatewayTelemetryMsgRateLimit: null });
            }
        });

        it('acks a rate-limited gateway message with a plain PUBACK on MQTT 3.1.1, then closes: the data is gone', async function () {
            sim.setTransportRateLimits({ transportGatewayTelemetryMsgRateLimit: '1:60' });
            try {
                const { cert } = await x509Device(sim, dir, 'busy-gw-v3', { gateway: true });
                const session = await raw({ protocolVersion: 4, cert });
                publish(session, 1, 'v1/gateway/telemetry', { 'V3 Sub': [{ t: 1 }] });
                await waitPacket(session, pubackFor(1), 'PUBACK');
                publish(session, 2, 'v1/gateway/telemetry', { 'V3 Sub': [{ t: 2 }] });
                await session.closedPromise;
                assert.deepStrictEqual(session.packets.map((p) => [p.cmd, p.messageId]), [['connack', undefined], ['puback', 1], ['puback', 2]]);
                assert.deepStrictEqual(sim.telemetry(sim.findDeviceByName('V3 Sub').id).map((e) => e.values), [{ t: 1 }]);
            } finally {
                sim.setTransportRateLimits({ transportGatewayTelemetryMsgRateLimit: null });
            }
        });

        it('counts subscribing to RPC or attribute updates as a message, dropping it silently while SUBACK still grants it', async function () {
            sim.setTransportRateLimits({ transportDeviceMsgRateLimit: '2:60' });
            try {
                const { cert } = await x509Device(sim, dir, 'subscriber');
                const session = await raw({ protocolVersion: 5, cert }); // 1: the session-open event
                session.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'v1/devices/me/rpc/request/+', qos: 1 }] }); // 2
                session.send({ cmd: 'subscribe', messageId: 2, subscriptions: [{ topic: 'v1/devices/me/attributes', qos: 1 }] }); // 3: over, ignored
                session.send({ cmd: 'subscribe', messageId: 3, subscriptions: [{ topic: 'v1/devices/me/rpc/response/+', qos: 1 }] }); // not a message
                await waitPacket(session, (p) => p.cmd === 'suback' && p.messageId === 3, 'third SUBACK');
                assert.deepStrictEqual(session.packets.filter((p) => p.cmd === 'suback').map((p) => p.granted), [[1], [1], [1]]);
                assert.strictEqual(session.closed, false);
                publish(session, 4, 'v1/devices/me/attributes/request/1', { clientKeys: 'a' });
                await session.closedPromise;
                assert.deepStrictEqual(session.packets.slice(-1).map((p) => [p.cmd, p.reasonCode]), [['disconnect', 0x83]]);
            } finally {
                sim.setTransportRateLimits({ transportDeviceMsgRateLimit: null });
            }
        });

        it('reports gateway session limits to a session whose device was marked "Is gateway" after it connected', async function () {
            const { cert, device } = await x509Device(sim, dir, 'marked-late');
            const session = await raw({ protocolVersion: 5, cert });
            const { curl, apiKey } = require('./support');
            const res = await curl(sim, 'POST', '/api/device', { auth: apiKey(sim), body: { ...device, additionalInfo: { gateway: true } } });
            assert.strictEqual(res.status, 200, res.text);
            publish(session, 1, 'v1/devices/me/rpc/request/5', { method: 'getSessionLimits', params: {} });
            const answer = await waitPacket(session, (p) => p.cmd === 'publish', 'RPC response');
            // the session info's isGateway follows the device update; its gateway handler does not (no v1/gateway/* API)
            assert.ok('gatewayRateLimits' in JSON.parse(answer.payload.toString()));
        });

        it('answers getSessionLimits with the limits in force, null for unset ones, and the gateway limits on a gateway session', async function () {
            sim.setTransportRateLimits({ transportDeviceMsgRateLimit: '10:1,60:10', transportGatewayMsgRateLimit: '20:1', transportGatewayDeviceTelemetryMsgRateLimit: '7:1' });
            try {
                const device = await x509Device(sim, dir, 'asks-limits');
                const session = await raw({ protocolVersion: 5, cert: device.cert });
                publish(session, 3, 'v1/devices/me/rpc/request/42', { method: 'getSessionLimits', params: {} });
                const answer = await waitPacket(session, (p) => p.cmd === 'publish', 'RPC response');
                assert.ok(session.packets.findIndex(pubackFor(3)) < session.packets.indexOf(answer), 'PUBACK comes first');
                assert.strictEqual(answer.topic, 'v1/devices/me/rpc/response/42');
                assert.deepStrictEqual(JSON.parse(answer.payload.toString()), {
                    maxPayloadSize: 65536,
                    maxInflightMessages: 100,
                    rateLimits: { messages: '10:1,60:10', telemetryMessages: '2:60', telemetryDataPoints: null },
                });

                const gw = await x509Device(sim, dir, 'gw-asks-limits', { gateway: true });
                const gwSession = await raw({ protocolVersion: 4, cert: gw.cert });
                gwSession.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'v1/devices/me/rpc/response/+', qos: 0 }] });
                await waitPacket(gwSession, (p) => p.cmd === 'suback', 'SUBACK');
                publish(gwSession, 2, 'v1/devices/me/rpc/request/1', { method: 'getSessionLimits', params: {} });
                const gwAnswer = await waitPacket(gwSession, (p) => p.cmd === 'publish', 'gateway RPC response');
                assert.strictEqual(gwAnswer.qos, 0);
                assert.deepStrictEqual(JSON.parse(gwAnswer.payload.toString()), {
                    maxPayloadSize: 65536,
                    maxInflightMessages: 100,
                    rateLimits: { messages: null, telemetryMessages: '7:1', telemetryDataPoints: null },
                    gatewayRateLimits: { messages: '20:1', telemetryMessages: null, telemetryDataPoints: null },
                });
            } finally {
                sim.setTransportRateLimits({ transportDeviceMsgRateLimit: null, transportGatewayMsgRateLimit: null, transportGatewayDeviceTelemetryMsgRateLimit: null });
            }
        });
    });

    describe('on ThingsBoard 4.2 (3.7 – 4.2)', function () {
        it('closes a rate-limited gateway without PUBACK, telling an MQTT 5 gateway its device was disconnected (reason 0x96)', async function () {
            const sim = await startTbsim({ tbVersion: '4.2', rateLimits: { transportGatewayTelemetryMsgRateLimit: '1:60' } });
            const dir = tempDir();
            try {
                const { cert } = await x509Device(sim, dir, 'gw-42', { gateway: true });
                const session = await connectedRaw(sim, { protocolVersion: 5, cert });
                publish(session, 1, 'v1/gateway/telemetry', { 'Sub 42': [{ t: 1 }] });
                await waitPacket(session, pubackFor(1), 'PUBACK');
                publish(session, 2, 'v1/gateway/telemetry', { 'Sub 42': [{ t: 2 }] });
                await session.closedPromise;
                const last = session.packets.slice(2);
                assert.deepStrictEqual(last.map((p) => [p.cmd, p.topic]), [['publish', 'v1/gateway/disconnect']]);
                assert.deepStrictEqual(JSON.parse(last[0].payload.toString()), { device: 'Sub 42', reason: 0x96 });
            } finally {
                await sim.stop();
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });
    });

    describe('on ThingsBoard 3.6.4', function () {
        let sim;
        let dir;
        const sessions = [];
        before(async function () {
            dir = tempDir();
            sim = await startTbsim({ tbVersion: '3.6.4', clientSideRpcTimeoutMs: 300, rateLimits: { transportDeviceTelemetryMsgRateLimit: '1:60' } });
        });
        afterEach(function () {
            for (const s of sessions.splice(0)) s.socket.destroy();
        });
        after(async function () {
            await sim.stop();
            fs.rmSync(dir, { recursive: true, force: true });
        });

        it('leaves getSessionLimits to the rule engine: PUBACK, then only the client-side RPC timeout', async function () {
            const { cert } = await x509Device(sim, dir, 'old-asks');
            const session = await connectedRaw(sim, { protocolVersion: 5, cert });
            sessions.push(session);
            publish(session, 5, 'v1/devices/me/rpc/request/8', { method: 'getSessionLimits', params: {} });
            await waitPacket(session, pubackFor(5), 'PUBACK');
            const answer = await waitPacket(session, (p) => p.cmd === 'publish', 'timeout answer');
            assert.strictEqual(answer.topic, 'v1/devices/me/rpc/response/8');
            assert.deepStrictEqual(JSON.parse(answer.payload.toString()), { error: 'timeout' });
        });

        it('closes an MQTT 5 session over the limit without a DISCONNECT packet (before 3.7)', async function () {
            const { cert } = await x509Device(sim, dir, 'old-busy');
            const session = await connectedRaw(sim, { protocolVersion: 5, cert });
            sessions.push(session);
            publish(session, 1, 'v1/devices/me/telemetry', { n: 1 });
            publish(session, 2, 'v1/devices/me/telemetry', { n: 2 });
            await session.closedPromise;
            assert.deepStrictEqual(cmds(session), ['connack', 'puback']);
        });

        it('refuses an unknown certificate on MQTT 5 with CONNACK 0x87 and a bare close (no DISCONNECT before 3.7)', async function () {
            const { makeCert } = require('./support');
            const session = await connectedRaw(sim, { protocolVersion: 5, cert: await makeCert(dir, 'old-unknown') });
            await session.closedPromise;
            assert.deepStrictEqual(session.packets.map((p) => [p.cmd, p.reasonCode]), [['connack', 0x87]]);
        });

        it('limits each sub-device of a gateway by the device limits (no gateway limits before 3.7)', async function () {
            const { cert } = await x509Device(sim, dir, 'old-gw', { gateway: true });
            const session = await connectedRaw(sim, { protocolVersion: 4, cert });
            sessions.push(session);
            publish(session, 1, 'v1/gateway/telemetry', { 'Old Sub A': [{ t: 1 }], 'Old Sub B': [{ t: 1 }] });
            await waitPacket(session, pubackFor(1), 'PUBACK');
            publish(session, 2, 'v1/gateway/telemetry', { 'Old Sub A': [{ t: 2 }] });
            await session.closedPromise;
            assert.deepStrictEqual(cmds(session), ['connack', 'puback']);
            await waitFor(() => sim.rateLimitViolations().length > 0, 2000, 'violation');
            assert.strictEqual(sim.rateLimitViolations().pop().entityName, 'Old Sub A');
        });
    });
});
