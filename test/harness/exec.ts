// Promise wrappers around child_process for the interop harness: short commands with a
// deadline, and long-running daemons tracked by pid whose output goes to a log file.

import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { waitFor, StopWaitingError, WaitTimeoutError } from './wait.js';

export interface RunOptions {
  /** Kill the command (SIGKILL) after this long; default 15 s. */
  timeoutMs?: number;
  /** Written to the command's stdin, which is then closed. */
  input?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Resolve even when the command exits non-zero (the caller inspects `exitCode`). */
  allowFailure?: boolean;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
}

export class CommandFailedError extends Error {
  readonly code = 'HARNESS_COMMAND_FAILED';
  constructor(
    readonly command: string,
    readonly result: RunResult,
  ) {
    super(
      `command failed (exit ${result.exitCode ?? result.signal}): ${command}\n` +
        `stderr: ${clip(result.stderr)}\nstdout: ${clip(result.stdout)}`,
    );
    this.name = 'CommandFailedError';
  }
}

export class CommandTimeoutError extends Error {
  readonly code = 'HARNESS_COMMAND_TIMEOUT';
  constructor(
    readonly command: string,
    readonly timeoutMs: number,
    readonly partial: RunResult,
  ) {
    super(`command timed out after ${timeoutMs} ms: ${command}\nstderr so far: ${clip(partial.stderr)}`);
    this.name = 'CommandTimeoutError';
  }
}

export class DaemonSpawnError extends Error {
  readonly code = 'HARNESS_DAEMON_SPAWN';
  constructor(readonly command: string, cause: unknown) {
    super(`could not start ${command}: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'DaemonSpawnError';
  }
}

/** A daemon died while the harness was waiting for it; carries the tail of its log. */
export class DaemonExitedError extends StopWaitingError {
  override readonly code = 'HARNESS_DAEMON_EXITED';
  constructor(readonly daemon: string, readonly exit: ExitInfo, readonly logTail: string) {
    super(`${daemon} exited (code ${exit.code}, signal ${exit.signal}); log tail:\n${logTail}`);
    this.name = 'DaemonExitedError';
  }
}

export function commandLine(cmd: string, args: readonly string[]): string {
  return [cmd, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** Runs a command to completion and captures its output. Rejects on non-zero exit or timeout. */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const line = commandLine(cmd, args);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
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
      reject(new DaemonSpawnError(line, e));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result: RunResult = {
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        exitCode: code,
        signal,
      };
      if (timedOut) reject(new CommandTimeoutError(line, timeoutMs, result));
      else if (code !== 0 && !opts.allowFailure) reject(new CommandFailedError(line, result));
      else resolve(result);
    });
    child.stdin.on('error', () => undefined); // the command may exit without reading stdin
    child.stdin.end(opts.input ?? '');
  });
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface DaemonOptions {
  /** stdout and stderr are appended here. */
  logFile: string;
  /** Label used in errors; defaults to the command name. */
  name?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/**
 * A long-running process. It is started in its own process group (pgid = pid) so that stopping
 * it also reaches helpers it forks (tshark's dumpcap), without touching anything else.
 */
export class Daemon {
  readonly pid: number;
  readonly name: string;
  readonly logFile: string;
  readonly exited: Promise<ExitInfo>;
  private exitInfo: ExitInfo | undefined;

  constructor(cmd: string, args: readonly string[], opts: DaemonOptions) {
    this.name = opts.name ?? cmd;
    this.logFile = opts.logFile;
    const line = commandLine(cmd, args);
    const fd = openSync(opts.logFile, 'a');
    try {
      const child = spawn(cmd, args, {
        env: opts.env ?? process.env,
        cwd: opts.cwd,
        stdio: ['ignore', fd, fd],
        detached: true,
      });
      if (child.pid === undefined) {
        // spawn reports ENOENT asynchronously; swallow that event, we throw synchronously.
        child.on('error', () => undefined);
        throw new DaemonSpawnError(line, new Error('no pid (command not found?)'));
      }
      this.pid = child.pid;
      this.exited = new Promise((resolve) => {
        child.on('exit', (code, signal) => {
          this.exitInfo = { code, signal };
          resolve(this.exitInfo);
        });
      });
      child.on('error', () => undefined);
      // A forgotten daemon must not keep the test worker alive; cleanup kills it by pid.
      child.unref();
    } finally {
      closeSync(fd);
    }
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  /** Throws DaemonExitedError (which stops a waitFor at once) if the daemon has exited. */
  assertRunning(): void {
    if (this.exitInfo !== undefined) throw new DaemonExitedError(this.name, this.exitInfo, this.logTail(40));
  }

  logTail(lines = 30): string {
    if (!existsSync(this.logFile)) return '(no log)';
    const all = readFileSync(this.logFile, 'utf8').split('\n');
    return all.slice(-lines - 1).join('\n');
  }

  /**
   * SIGTERM to the process, wait up to `graceMs` for it to exit, then SIGKILL its whole process
   * group (also sweeping up children that outlived it). Safe to call more than once.
   */
  async stop(graceMs = 5_000): Promise<ExitInfo> {
    if (this.running) {
      signal(this.pid, 'SIGTERM');
      try {
        await waitFor(() => !this.running, { timeoutMs: graceMs, intervalMs: 20, what: `${this.name} to exit` });
      } catch (err) {
        if (!(err instanceof WaitTimeoutError)) throw err;
      }
    }
    this.killGroupNow();
    return this.exited;
  }

  /** Synchronous SIGKILL of the process group: for exit handlers, where nothing can be awaited. */
  killGroupNow(): void {
    signal(-this.pid, 'SIGKILL');
  }
}

export function spawnDaemon(cmd: string, args: readonly string[], opts: DaemonOptions): Daemon {
  return new Daemon(cmd, args, opts);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

function clip(text: string, max = 2000): string {
  const t = text.trim();
  return t.length > max ? `${t.slice(0, max)}…` : t;
}
