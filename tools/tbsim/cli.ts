#!/usr/bin/env node
import * as path from 'path';
import { startTbsim, type TbsimOptions } from './index';
import { NEWEST_RELEASE, Release } from './release';

// `node dist/tools/tbsim/cli.js [--rest-port 8080] [--mqtt-port 8883] [--host 127.0.0.1] [--data-dir .tbsim] [--persist] [--http]`

const USAGE = `Usage: tbsim [options]
  --rest-port <n>   REST port (default 8080; 0 = any free port)
  --mqtt-port <n>   MQTT over TLS port (default 8883; 0 = any free port)
  --host <addr>     address to listen on (default 127.0.0.1)
  --data-dir <dir>  where the CA and server certificate live (default .tbsim)
  --persist         keep devices, credentials, profiles and telemetry in <data-dir>/state.json
  --http            serve REST over plain HTTP instead of HTTPS
  --tb-version <v>  behave like this ThingsBoard release, e.g. 3.6.4 (default: the newest, ${NEWEST_RELEASE})
  --quiet           do not log MQTT and REST events
  --help            this text`;

function parseArgs(argv: string[]): TbsimOptions & { persist: boolean; quiet: boolean } {
    const out: TbsimOptions & { persist: boolean; quiet: boolean } = {
        restPort: 8080,
        mqttPort: 8883,
        dataDir: '.tbsim',
        persist: false,
        quiet: false,
    };
    const value = (i: number, flag: string): string => {
        const v = argv[i + 1];
        if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value`);
        return v;
    };
    const port = (i: number, flag: string): number => {
        const n = Number(value(i, flag));
        if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${flag} must be a port number (0-65535)`);
        return n;
    };
    const release = (v: string): string => {
        try {
            return new Release(v).version;
        } catch (err) {
            throw new Error(`--tb-version ${(err as Error).message.replace(/^tbVersion /, '')}`, { cause: err });
        }
    };
    for (let i = 0; i < argv.length; i++) {
        const flag = argv[i];
        switch (flag) {
            case '--rest-port':
                out.restPort = port(i++, flag);
                break;
            case '--mqtt-port':
                out.mqttPort = port(i++, flag);
                break;
            case '--host':
                out.host = value(i++, flag);
                break;
            case '--data-dir':
                out.dataDir = value(i++, flag);
                break;
            case '--persist':
                out.persist = true;
                break;
            case '--tb-version':
                // validated here so a typo exits 2 with the usage, like any other bad argument
                out.tbVersion = release(value(i++, flag));
                break;
            case '--http':
                out.restTls = false;
                break;
            case '--quiet':
                out.quiet = true;
                break;
            case '--help':
            case '-h':
                console.log(USAGE);
                process.exit(0);
                break;
            default:
                throw new Error(`unknown option ${flag}`);
        }
    }
    return out;
}

async function main(): Promise<void> {
    let args: ReturnType<typeof parseArgs>;
    try {
        args = parseArgs(process.argv.slice(2));
    } catch (err) {
        console.error(`tbsim: ${(err as Error).message}\n${USAGE}`);
        process.exit(2);
    }
    const dataDir = path.resolve(args.dataDir as string);
    const sim = await startTbsim({
        ...args,
        dataDir,
        persistFile: args.persist ? path.join(dataDir, 'state.json') : undefined,
        log: args.quiet ? undefined : (line) => console.log(line),
    });
    const curlFlag = sim.restUrl.startsWith('https') ? ` --cacert ${sim.caFile}` : '';
    const hasApiKeys = new Release(sim.tbVersion).has('apiKeys');
    const login = JSON.stringify({ username: sim.tenant.username, password: sim.tenant.password });
    console.log(
        [
            'tbsim is running (a local ThingsBoard stand-in)',
            `  behaves like:  ThingsBoard ${sim.tbVersion}`,
            `  REST:          ${sim.restUrl}`,
            `  MQTT (TLS):    ${sim.mqttHost}:${sim.mqttPort}`,
            `  CA file:       ${sim.caFile}`,
            `  tenant login:  ${sim.tenant.username} / ${sim.tenant.password}`,
            hasApiKeys
                ? `  API key:       ${sim.apiKey}`
                : `  API key:       none (ThingsBoard ${sim.tbVersion} has none; API keys exist from ${Release.since('apiKeys')})`,
            args.persist ? `  state:         ${path.join(dataDir, 'state.json')}` : '  state:         in memory (use --persist to keep it)',
            '',
            'Try:',
            hasApiKeys
                ? `  curl${curlFlag} -H "X-Authorization: ApiKey ${sim.apiKey}" "${sim.restUrl}/api/tenant/devices?pageSize=10&page=0"`
                : `  curl${curlFlag} -H "Content-Type: application/json" -d '${login}' "${sim.restUrl}/api/auth/login"`,
            '',
            'Ctrl-C stops it.',
        ].join('\n'),
    );
    let stopping = false;
    const stop = (signal: string): void => {
        if (stopping) return;
        stopping = true;
        console.log(`tbsim: ${signal} received, stopping`);
        sim.stop().then(
            () => process.exit(0),
            (err) => {
                console.error(`tbsim: stop failed: ${(err as Error).message}`);
                process.exit(1);
            },
        );
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: NodeJS.ErrnoException) => {
    const hint = err.code === 'EADDRINUSE' ? ' (port already in use: pick another with --rest-port / --mqtt-port, or 0 for a free one)' : '';
    console.error(`tbsim: could not start: ${err.message}${hint}`);
    process.exit(1);
});
