import { PROVISION_REQUEST, PROVISION_RESPONSE, RC } from './mqtt-codes';
import { provisionDevice } from './provision';
import type { PublishPacket, SessionContext } from './session-context';

// A "provision" session (reference §3.2; MTH processProvisionSessionMsg): one request on /provision/request, the
// answer on /provision/response, then the server closes the session after provisionResponseCloseMs (60 s).

export function handleProvisionPublish(ctx: SessionContext, packet: PublishPacket, responseQos: number): void {
    if (packet.topic !== PROVISION_REQUEST) {
        ctx.log(`provision session published to ${packet.topic}: closing`);
        ctx.puback(packet, RC.TOPIC_NAME_INVALID);
        return ctx.end();
    }
    let request: unknown;
    try {
        request = JSON.parse(Buffer.from(packet.payload).toString('utf8'));
    } catch {
        request = undefined;
    }
    const outcome = provisionDevice(ctx.deps.store, request);
    if (outcome.kind === 'error') {
        ctx.log(`provision request failed: ${outcome.reason}`);
        ctx.puback(packet, RC.IMPLEMENTATION_SPECIFIC);
        return ctx.end();
    }
    ctx.puback(packet);
    ctx.send({
        cmd: 'publish',
        topic: PROVISION_RESPONSE,
        payload: Buffer.from(JSON.stringify(outcome.body)),
        qos: responseQos,
        messageId: responseQos > 0 ? 1 : undefined,
        retain: false,
        dup: false,
    });
    ctx.deps.events.emit('provision', outcome.body, outcome.deviceId);
    ctx.later(() => ctx.end(), ctx.deps.provisionResponseCloseMs);
}
