'use strict';
// Loopback ports for the servers the tests start.
const net = require('net');
const { pollUntil } = require('./wait');

/** A loopback port nothing listens on right now (bound, then released). */
function freePort() {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.unref();
        server.on('error', reject);
        server.listen(0, '127.0.0.1', () => {
            const { port } = server.address();
            server.close(() => resolve(port));
        });
    });
}

/** Resolves once something accepts TCP connections on 127.0.0.1:`port`. */
function waitForPort(port, timeoutMs = 10000, what = `a server on port ${port}`) {
    const accepts = () => new Promise((resolve) => {
        const socket = net.connect(port, '127.0.0.1');
        socket.once('connect', () => {
            socket.destroy();
            resolve(true);
        });
        socket.once('error', () => {
            socket.destroy();
            resolve(false);
        });
    });
    return pollUntil(accepts, timeoutMs, { pollMs: 50, what });
}

module.exports = { freePort, waitForPort };
