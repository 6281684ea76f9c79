'use strict';
// Plain HTTP for tests that talk to a Node-RED admin API on loopback.
const http = require('http');

/**
 * GET `url` asking for JSON; resolves with the parsed body of a 200, rejects otherwise
 * (status and body in the message). With `timeoutMs`, a request that takes longer is aborted.
 */
function getJson(url, { timeoutMs } = {}) {
    return new Promise((resolve, reject) => {
        const req = http.get(url, { headers: { Accept: 'application/json' } }, (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (chunk) => (body += chunk));
            res.on('end', () => {
                if (res.statusCode !== 200) return reject(new Error(`GET ${url}: ${res.statusCode} ${body}`));
                try {
                    resolve(JSON.parse(body));
                } catch {
                    reject(new Error(`GET ${url}: not JSON: ${body.slice(0, 200)}`));
                }
            });
        });
        req.on('error', reject);
        if (timeoutMs !== undefined) req.setTimeout(timeoutMs, () => req.destroy(new Error(`GET ${url}: no answer within ${timeoutMs} ms`)));
    });
}

module.exports = { getJson };
