// wren-cni: the CNI plugin (spec 1.0, plus GC and STATUS from 1.1). A runtime runs it once per
// operation with CNI_* variables and the network config on stdin; it asks the wren daemon to do
// the work over the control socket and prints the spec's result or error JSON on stdout.
//
// Start-up time matters (the runtime pays it for every pod), so this file and everything it
// imports stays within src/cni, src/api/client.ts and src/api/types.ts; test/cni checks it.
import { configVersion, parseJson, parseNetConf, requestedVersion } from './config.js';
import { cmdAdd, cmdCheck, cmdDel, cmdGc, cmdStatus } from './commands.js';
import { daemonCaller, type DaemonCall } from './daemon.js';
import { parseCommand, parseEnv } from './env.js';
import { CniCode, CniError, errorJson } from './errors.js';
import { isObject } from './json.js';
import { LATEST_VERSION, SUPPORTED_VERSIONS, isSupported } from './version.js';

export interface RunOutput {
  exitCode: number;
  /** what goes on stdout ('' for nothing) */
  stdout: string;
}

export interface RunOptions {
  env: NodeJS.ProcessEnv;
  /** reads all of stdin; not called for a VERSION with nothing to read */
  readStdin: () => Promise<string>;
  /** false when stdin is a terminal: VERSION then answers without waiting for input */
  stdinIsPipe: boolean;
  /** how to reach the daemon; default: the control socket from the config */
  connect?: (socketPath: string, timeoutMs: number) => DaemonCall;
}

const MAX_STDIN = 4 << 20;

export async function run(opts: RunOptions): Promise<RunOutput> {
  // Every reply carries a cniVersion: the config's once known, else the newest we speak.
  let version: string = LATEST_VERSION;
  try {
    const command = parseCommand(opts.env);
    if (command === 'VERSION') {
      const requested = opts.stdinIsPipe ? requestedVersion(await readInput(opts)) : LATEST_VERSION;
      return ok({ cniVersion: requested, supportedVersions: [...SUPPORTED_VERSIONS] });
    }
    const raw = parseJson(await readInput(opts), 'network config');
    if (isObject(raw) && typeof raw.cniVersion === 'string' && isSupported(raw.cniVersion)) version = raw.cniVersion;
    if (isObject(raw)) configVersion(raw); // an unsupported version is code 1, before any other complaint
    const env = parseEnv(opts.env);
    const conf = parseNetConf(raw);
    const call = (opts.connect ?? daemonCaller)(conf.controlSocket, conf.timeoutMs);
    switch (env.command) {
      case 'ADD':
        return ok(await cmdAdd(env, conf, call));
      case 'DEL':
        return ok(await cmdDel(env, conf, call));
      case 'CHECK':
        return ok(await cmdCheck(env, conf, call));
      case 'GC':
        return ok(await cmdGc(conf, call));
      case 'STATUS':
        return ok(await cmdStatus(conf, call));
      case 'VERSION':
        throw new Error('unreachable: VERSION handled above');
    }
  } catch (e) {
    return failure(version, e);
  }
}

async function readInput(opts: RunOptions): Promise<string> {
  let text: string;
  try {
    text = await opts.readStdin();
  } catch (e) {
    throw new CniError(CniCode.IoFailure, `cannot read the network config from stdin: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (text.length > MAX_STDIN) throw new CniError(CniCode.IoFailure, `stdin is larger than ${MAX_STDIN} bytes`);
  return text;
}

function ok(value: object | null): RunOutput {
  return { exitCode: 0, stdout: value === null ? '' : `${JSON.stringify(value)}\n` };
}

export function failure(version: string, e: unknown): RunOutput {
  const err = e instanceof CniError ? e : new CniError(CniCode.Internal, `wren-cni internal error: ${e instanceof Error ? e.message : String(e)}`, e instanceof Error ? (e.stack ?? '') : '');
  return { exitCode: 1, stdout: `${JSON.stringify(errorJson(version, err))}\n` };
}

function readStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    process.stdin.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_STDIN) {
        process.stdin.destroy();
        reject(new Error(`more than ${MAX_STDIN} bytes`));
        return;
      }
      chunks.push(c);
    });
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    process.stdin.on('error', reject);
  });
}

/** The process entry point (bin/wren-cni): prints the outcome and sets the exit code. */
export async function main(): Promise<void> {
  let printed = false;
  const emit = (out: RunOutput): void => {
    if (printed) return;
    printed = true;
    process.stdout.write(out.stdout);
    process.exitCode = out.exitCode;
  };
  // Anything thrown outside run()'s promise chain (a socket callback) must still end as error
  // JSON, and at once: a half-finished request could otherwise hold the process until timeout.
  process.on('uncaughtException', (e) => {
    emit(failure(LATEST_VERSION, e));
    process.exit(1);
  });
  emit(await run({ env: process.env, readStdin, stdinIsPipe: process.stdin.isTTY !== true }));
}
