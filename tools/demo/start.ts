/**
 * `npm start`: a local ThingsBoard stand-in (tbsim) and a Node-RED with this package and the
 * example flows "Onboard a device" + "Stream a simulated sensor" deployed against it.
 * Ctrl-C stops both.
 *
 * Flags (all optional): --rest-port 8080 --mqtt-port 8883 --node-red-port 1880 (each falls back
 * to a free port when taken; 0 = any free port), --data-dir .tbsim, --user-dir .demo, --verbose,
 * --node-red-dir <dir> (run the Node-RED installed there instead of this project's devDependency).
 */
import { spawn, type ChildProcess } from 'child_process';
import * as path from 'path';
import { startTbsim, type Tbsim } from '../tbsim/index';
import { preferredPort } from './ports';
import { prepareUserDir } from './user-dir';

const HOST = '127.0.0.1';
const DEVICE = 'sensor-1'; // the device name the "Onboard a device" example uses

interface DemoOptions {
    restPort: number;
    mqttPort: number;
    nodeRedPort: number;
    dataDir: string;
    userDir: string;
    nodeRedDir?: string;
    verbose: boolean;
}

function parseArgs(argv: string[], cwd: string): DemoOptions {
    const opts: DemoOptions = {
        restPort: 8080, mqttPort: 8883, nodeRedPort: 1880,
        dataDir: path.join(cwd, '.tbsim'), userDir: path.join(cwd, '.demo'), verbose: false,
    };
    for (let i = 0; i < argv.length; i++) {
        const flag = argv[i];
        const value = (): string => {
            const v = argv[++i];
            if (v === undefined) throw new Error(`${flag} needs a value`);
            return v;
        };
        const port = (): number => {
            const n = Number(value());
            if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${flag}: not a port number`);
            return n;
        };
        switch (flag) {
            case '--rest-port': opts.restPort = port(); break;
            case '--mqtt-port': opts.mqttPort = port(); break;
            case '--node-red-port': opts.nodeRedPort = port(); break;
            case '--data-dir': opts.dataDir = path.resolve(cwd, value()); break;
            case '--user-dir': opts.userDir = path.resolve(cwd, value()); break;
            case '--node-red-dir': opts.nodeRedDir = path.resolve(cwd, value()); break;
            case '--verbose': opts.verbose = true; break;
            default: throw new Error(`unknown option ${flag} (see the top of tools/demo/start.ts)`);
        }
    }
    return opts;
}

function startNodeRed(
    userDir: string,
    port: number,
    nodeRedDir: string | undefined,
    onLine: (line: string) => void,
): ChildProcess {
    const redJs = require.resolve('node-red/red.js', nodeRedDir ? { paths: [nodeRedDir] } : undefined);
    const child = spawn(process.execPath, [redJs, '-u', userDir, '-p', String(port)], {
        stdio: ['ignore', 'pipe', 'pipe'],
    });
    let pending = '';
    const split = (chunk: Buffer): void => {
        pending += chunk.toString('utf8');
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        lines.forEach(onLine);
    };
    child.stdout?.on('data', split);
    child.stderr?.on('data', split);
    return child;
}

function telemetryCurl(tbsim: Tbsim, deviceId: string): string {
    return `curl -s --cacert '${tbsim.caFile}' -H 'X-Authorization: ApiKey ${tbsim.apiKey}' \\\n    ` +
        `'${tbsim.restUrl}/api/plugins/telemetry/DEVICE/${deviceId}/values/timeseries?keys=temperature,humidity'`;
}

async function main(): Promise<void> {
    const packageRoot = path.resolve(__dirname, '..', '..', '..');
    const opts = parseArgs(process.argv.slice(2), process.cwd());
    const say = (line: string): void => void process.stdout.write(line + '\n');

    const tbsim = await startTbsim({
        host: HOST,
        restPort: await preferredPort(opts.restPort, HOST),
        mqttPort: await preferredPort(opts.mqttPort, HOST),
        dataDir: opts.dataDir,
        persistFile: path.join(opts.dataDir, 'state.json'),
        log: opts.verbose ? (line: string) => say(`[tbsim] ${line}`) : undefined,
    });
    prepareUserDir({
        userDir: opts.userDir,
        packageRoot,
        server: { host: tbsim.mqttHost, port: tbsim.mqttPort, restUrl: tbsim.restUrl },
        caPem: tbsim.caPem,
        tenant: tbsim.tenant,
    });

    const nodeRedPort = await preferredPort(opts.nodeRedPort, HOST);
    const editorUrl = `http://${HOST}:${nodeRedPort}/`;
    let stopping = false;
    let announced = false;
    let nodeRedVersion = '';
    const nodeRed = startNodeRed(opts.userDir, nodeRedPort, opts.nodeRedDir, (line) => {
        const notable = /\[(warn|error)\]/.test(line) && !line.includes('Projects disabled');
        if (opts.verbose || notable) say(`[node-red] ${line}`);
        nodeRedVersion ||= /Node-RED version: (v\S+)/.exec(line)?.[1] ?? '';
        if (!announced && line.includes('Server now running at')) {
            announced = true;
            say('');
            say(`Node-RED editor   ${editorUrl}   (Node-RED ${nodeRedVersion}, user dir ${opts.userDir})`);
            say(`tbsim REST API    ${tbsim.restUrl}   tenant ${tbsim.tenant.username} / ${tbsim.tenant.password}`);
            say(`tbsim MQTT (TLS)  ${tbsim.mqttHost}:${tbsim.mqttPort}   CA ${tbsim.caFile}`);
            say(`Onboarding ${DEVICE} and streaming its readings; press Ctrl-C to stop both.`);
        }
    });

    let shownCurl = false;
    tbsim.events.on('telemetry', (deviceId: string) => {
        if (shownCurl || tbsim.findDeviceByName(DEVICE)?.id !== deviceId) return;
        shownCurl = true;
        say('');
        say(`Telemetry from ${DEVICE} is arriving. Read the latest values from tbsim with:`);
        say(telemetryCurl(tbsim, deviceId));
        say('');
    });

    const shutdown = async (code: number): Promise<void> => {
        if (stopping) return;
        stopping = true;
        say('Stopping Node-RED and tbsim…');
        if (nodeRed.exitCode === null && nodeRed.signalCode === null) {
            const exited = new Promise((resolve) => nodeRed.once('exit', resolve));
            nodeRed.kill('SIGINT');
            const force = setTimeout(() => nodeRed.kill('SIGKILL'), 10000);
            await exited;
            clearTimeout(force);
        }
        await tbsim.stop();
        process.exit(code);
    };
    process.on('SIGINT', () => void shutdown(0));
    process.on('SIGTERM', () => void shutdown(0));
    nodeRed.on('exit', (code) => {
        if (stopping) return;
        say(`Node-RED exited (${code}); stopping tbsim.`);
        void shutdown(code === 0 ? 0 : 1);
    });
}

main().catch((err: unknown) => {
    process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
});
