'use strict';
// Gateway mode is decided once, at CONNECT (reference §9.2; MqttTransportHandler.checkGatewaySession): a session
// whose device was not marked "Is gateway" when it connected answers v1/gateway/* publishes with nothing at all.
const assert = require('assert');
const fs = require('fs');
const { startTbsim, tempDir, curl, apiKey, x509Device, connectedRaw, waitPacket } = require('./support');

const pubackFor = (id) => (p) => p.cmd === 'puback' && p.messageId === id;

describe('tbsim gateway sessions (transport)', function () {
    let sim;
    let dir;
    const sessions = [];
    async function raw(opts) {
        const s = await connectedRaw(sim, opts);
        sessions.push(s);
        return s;
    }
    function publish(session, messageId, topic, body) {
        session.send({ cmd: 'publish', topic, payload: Buffer.from(JSON.stringify(body)), qos: 1, messageId, retain: false, dup: false });
    }
    async function markGateway(device) {
        const res = await curl(sim, 'POST', '/api/device', { auth: apiKey(sim), body: { ...device, additionalInfo: { gateway: true } } });
        assert.strictEqual(res.status, 200, res.text);
    }

    before(async function () {
        dir = tempDir();
        sim = await startTbsim();
    });
    afterEach(function () {
        for (const s of sessions.splice(0)) s.socket.destroy();
    });
    after(async function () {
        await sim.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    for (const protocolVersion of [4, 5]) {
        it(`gives a session connected before the device was marked no PUBACK for v1/gateway/* (MQTT ${protocolVersion === 5 ? '5' : '3.1.1'}), a reconnect does`, async function () {
            const { cert, device } = await x509Device(sim, dir, `late-gw-${protocolVersion}`);
            const before = await raw({ protocolVersion, cert });
            assert.strictEqual(before.connack.cmd, 'connack');
            await markGateway(device);

            publish(before, 1, 'v1/gateway/connect', { device: `Late Sub ${protocolVersion}` });
            publish(before, 2, 'v1/gateway/telemetry', { [`Late Sub ${protocolVersion}`]: [{ t: 1 }] });
            publish(before, 3, 'v1/devices/me/telemetry', { own: 1 }); // the server answers in order: once 3 is acked, 1 and 2 never will be
            await waitPacket(before, pubackFor(3), 'PUBACK of the device telemetry');
            await new Promise((r) => setTimeout(r, 300));
            assert.deepStrictEqual(before.packets.filter((p) => p.cmd === 'puback').map((p) => p.messageId), [3]);
            assert.strictEqual(before.closed, false);
            assert.strictEqual(sim.findDeviceByName(`Late Sub ${protocolVersion}`), undefined);

            const after = await raw({ protocolVersion, cert });
            publish(after, 1, 'v1/gateway/telemetry', { [`Late Sub ${protocolVersion}`]: [{ t: 2 }] });
            const ack = await waitPacket(after, pubackFor(1), 'PUBACK on the new gateway session');
            if (protocolVersion === 5) assert.strictEqual(ack.reasonCode, 0);
            const sub = sim.findDeviceByName(`Late Sub ${protocolVersion}`);
            assert.deepStrictEqual(sim.telemetry(sub.id).map((e) => e.values), [{ t: 2 }]);
        });
    }

    it('grants v1/gateway/* subscriptions to any device session, as ThingsBoard does', async function () {
        const { cert } = await x509Device(sim, dir, 'plain-subscriber');
        const session = await raw({ protocolVersion: 5, cert });
        session.send({ cmd: 'subscribe', messageId: 9, subscriptions: [{ topic: 'v1/gateway/rpc', qos: 1 }, { topic: 'v1/gateway/attributes', qos: 0 }] });
        const suback = await waitPacket(session, (p) => p.cmd === 'suback', 'SUBACK');
        assert.deepStrictEqual(suback.granted, [1, 0]);
    });

    it('keeps a gateway session a gateway session when the mark is removed while it is connected', async function () {
        const { cert, device } = await x509Device(sim, dir, 'unmarked-gw', { gateway: true });
        const session = await raw({ protocolVersion: 5, cert });
        const res = await curl(sim, 'POST', '/api/device', { auth: apiKey(sim), body: { ...device, additionalInfo: { gateway: false } } });
        assert.strictEqual(res.status, 200, res.text);
        publish(session, 4, 'v1/gateway/connect', { device: 'Still Served' });
        assert.strictEqual((await waitPacket(session, pubackFor(4), 'PUBACK')).reasonCode, 0);
        assert.ok(sim.findDeviceByName('Still Served'));
    });

    it('answers an unknown v1/gateway/ topic on a gateway session with PUBACK 0x90', async function () {
        const { cert } = await x509Device(sim, dir, 'typo-gw', { gateway: true });
        const session = await raw({ protocolVersion: 5, cert });
        publish(session, 5, 'v1/gateway/telemetri', { X: [{ t: 1 }] });
        assert.strictEqual((await waitPacket(session, pubackFor(5), 'PUBACK')).reasonCode, 0x90);
    });
});
