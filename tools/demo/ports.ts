import * as net from 'net';

/** Resolves when `port` (0 = any) could be bound on `host`, with the port actually obtained; rejects otherwise. */
function tryListen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once('error', reject);
        server.listen(port, host, () => {
            const address = server.address() as net.AddressInfo;
            server.close(() => resolve(address.port));
        });
    });
}

/** `preferred` when it is free on `host`, else a free port (0 means "any free port"). */
export async function preferredPort(preferred: number, host: string): Promise<number> {
    if (preferred > 0) {
        try {
            return await tryListen(preferred, host);
        } catch {
            // taken: fall through to any free port
        }
    }
    return tryListen(0, host);
}
