'use strict';
// Temporary directories for tests: one per suite, removed in its after().
const fs = require('fs');
const os = require('os');
const path = require('path');

/** A fresh directory under the OS temp dir. Synchronous; `await tempDir()` works as well. */
function tempDir(prefix = 'tb-x509-test-') {
    return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

async function removeDir(dir) {
    if (dir) await fs.promises.rm(dir, { recursive: true, force: true });
}

module.exports = { tempDir, removeDir };
