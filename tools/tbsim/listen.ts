import type { AddressInfo, Server } from 'net';

/** Listens on `port` (0 = any free one) at `host`; resolves with the port bound, rejects on EADDRINUSE etc. */
export function listenOn(server: Server, port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
            server.off('error', reject);
            resolve((server.address() as AddressInfo).port);
        });
    });
}
