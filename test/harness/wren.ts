// Starts Wren daemons for tests: on loopback (no root) or inside a lab namespace.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { callDaemon } from '../../src/api/client.js';
import type { ApiMethod, ApiMethods, PeerStatus } from '../../src/api/types.js';
import { spawnDaemon, type Daemon } from './exec.js';
import type { Lab, LabHost } from './netns.js';
import { waitFor } from './wait.js';

/** The repository's bin/wren, whether this file runs from test/ (vitest) or dist/test/ (demo). */
function repoRoot(): string {
  const up = resolve(import.meta.dirname, '../..');
  return basename(up) === 'dist' ? dirname(up) : up;
}

export const WREN_BIN = join(repoRoot(), 'bin', 'wren');

export interface WrenHandle {
  daemon: Daemon;
  control: string;
  configFile: string;
  call<M extends ApiMethod>(method: M, params?: ApiMethods[M]['params']): Promise<ApiMethods[M]['result']>;
  /** runs `wren ARGS --control SOCK` as a user would, returning stdout/stderr/exit code */
  cli(args: string[]): Promise<{ stdout: string; stderr: string; code: number | null }>;
  peer(address: string): Promise<PeerStatus>;
  waitEstablished(address: string, timeoutMs?: number): Promise<PeerStatus>;
  /** rewrites the config file (for SIGHUP tests) */
  writeConfig(config: object): void;
  signal(sig: NodeJS.Signals): void;
  stop(): Promise<void>;
}

export interface StartWrenOptions {
  config: object;
  /** run inside this lab host's namespace */
  lab?: Lab;
  host?: LabHost;
  name?: string;
  dir?: string;
}

export async function startWren(opts: StartWrenOptions): Promise<WrenHandle> {
  const ownDir = !opts.dir && !opts.lab;
  const dir = opts.dir ?? (opts.lab ? opts.lab.subdir(opts.name ?? 'wren') : mkdtempSync(join(tmpdir(), 'wren-test-')));
  const configFile = join(dir, 'wren.yaml');
  const control = join(dir, 'wren.sock');
  const logFile = join(dir, 'wren.log');
  // Pod state lives with the test's files, never in the machine-wide default path.
  const withTestPaths = (config: object): object => {
    const c = config as { pods?: { stateFile?: string } };
    return { ...config, pods: { stateFile: join(dir, 'pods.json'), ...(c.pods ?? {}) } };
  };
  const writeConfig = (config: object): void => writeFileSync(configFile, stringify(withTestPaths(config)));
  writeConfig(opts.config);
  const args = [WREN_BIN, 'daemon', '--config', configFile, '--control', control];
  const env = { ...process.env, WREN_LOG_LEVEL: 'debug' };
  const daemon =
    opts.lab && opts.host
      ? opts.lab.spawn(opts.host.ns, process.execPath, args, { logFile, name: opts.name ?? `wren@${opts.host.name}`, env })
      : spawnDaemon(process.execPath, args, { logFile, name: opts.name ?? 'wren', env });
  const call = <M extends ApiMethod>(method: M, params?: ApiMethods[M]['params']): Promise<ApiMethods[M]['result']> =>
    callDaemon(control, method, (params ?? {}) as ApiMethods[M]['params'], 3000);
  await waitFor(
    async () => {
      daemon.assertRunning();
      return (await call('status')).daemon.pid > 0;
    },
    { timeoutMs: 15_000, what: `wren daemon ${opts.name ?? ''} control socket` },
  );
  const peer = async (address: string): Promise<PeerStatus> => {
    const s = await call('status');
    const p = s.peers.find((x) => x.address === address);
    if (!p) throw new Error(`peer ${address} not in wren status`);
    return p;
  };
  return {
    daemon,
    control,
    configFile,
    call,
    peer,
    cli: (cliArgs) =>
      new Promise((resolveCli) => {
        import('node:child_process').then(({ execFile }) => {
          execFile(process.execPath, [WREN_BIN, '--control', control, ...cliArgs], { timeout: 10_000 }, (err, stdout, stderr) => {
            const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
            resolveCli({ stdout, stderr, code });
          });
        });
      }),
    waitEstablished: (address, timeoutMs = 30_000) =>
      waitFor(
        async () => {
          daemon.assertRunning();
          const p = await peer(address);
          return p.state === 'Established' ? p : undefined;
        },
        { timeoutMs, what: `wren session with ${address} Established` },
      ),
    writeConfig,
    signal: (sig) => process.kill(daemon.pid, sig),
    stop: async () => {
      await daemon.stop();
      // A lab removes its own directory; one made here goes with the daemon.
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
