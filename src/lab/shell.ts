// Running the programs a lab is built from (ip, etcd, node): short commands with a deadline,
// detached daemons whose output goes to a log file, and a bounded-parallel map. The lab is the
// one product component allowed to shell out to `ip netns` (DESIGN.md).
import { spawn } from 'node:child_process';
import { accessSync, closeSync, constants, openSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { LabCommandError, LabMissingToolError, LabTimeoutError } from './errors.js';

export interface RunOptions {
  /** SIGKILL after this long; default 15 s */
  timeoutMs?: number;
  /** resolve on a non-zero exit (the caller looks at `code`) */
  allowFailure?: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  /** exit code, or null when killed by a signal */
  code: number | null;
}

export function commandLine(cmd: string, args: readonly string[]): string {
  return [cmd, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const line = commandLine(cmd, args);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new LabCommandError(line, (e as NodeJS.ErrnoException).code ?? 'spawn error', e.message, ''));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result: RunResult = { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code };
      if (timedOut) reject(new LabTimeoutError(`command did not finish within ${timeoutMs} ms: ${line}`));
      else if (code !== 0 && !opts.allowFailure) reject(new LabCommandError(line, code ?? signal ?? '?', result.stderr, result.stdout));
      else resolve(result);
    });
  });
}

/** A process started detached (own session, output to a file) so it outlives the command that started it. */
export interface DetachedProcess {
  pid: number;
  /** set once the process has exited while this process was still watching */
  exit: { code: number | null; signal: NodeJS.Signals | null } | null;
}

export function spawnDetached(cmd: string, args: readonly string[], logFile: string, env: NodeJS.ProcessEnv = process.env): DetachedProcess {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(cmd, args, { env, stdio: ['ignore', fd, fd], detached: true });
    if (child.pid === undefined) {
      child.on('error', () => undefined);
      throw new LabCommandError(commandLine(cmd, args), 'spawn error', 'no pid (command not found?)', '');
    }
    const proc: DetachedProcess = { pid: child.pid, exit: null };
    child.on('exit', (code, signal) => {
      proc.exit = { code, signal };
    });
    child.on('error', () => undefined);
    child.unref();
    return proc;
  } finally {
    closeSync(fd);
  }
}

/** Runs `fn` over `items` with at most `limit` at a time; results in input order. Fails with the first error. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

const SBIN = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** Absolute path of a program (PATH plus the sbin directories), or a LabMissingToolError naming its package. */
export function requireTool(name: string, debianPackage: string): string {
  for (const dir of [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...SBIN]) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next directory
    }
  }
  throw new LabMissingToolError(name, debianPackage);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `fn` until it returns a value other than undefined, or throws LabTimeoutError with `describe()`. */
export async function waitUntil<T>(fn: () => Promise<T | undefined>, timeoutMs: number, describe: () => string, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() >= deadline) throw new LabTimeoutError(`timed out after ${(timeoutMs / 1000).toFixed(0)} s: ${describe()}`);
    await sleep(intervalMs);
  }
}
