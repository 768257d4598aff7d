// A benchmark helper process (tester, clients, observers) run inside a lab namespace, talking
// JSON lines on stdout: a Node script, or an executable (the native FIB observer). `ip netns
// exec` execs it in place, so `pid` is its own pid: the one whose CPU we read and the one we
// stop. It runs in its own process group and is killed by
// pid when the lab is cleaned up (also on Ctrl-C, through the lab's exit hooks).

import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Lab } from '../test/harness/netns.js';

export interface ChildEvent {
  ev: string;
  [key: string]: unknown;
}

export class ChildFailedError extends Error {
  readonly code = 'BENCH_CHILD_FAILED';
  constructor(readonly child: string, why: string, logTail: string) {
    super(`${child}: ${why}${logTail === '' ? '' : `\nstderr tail:\n${logTail}`}`);
    this.name = 'ChildFailedError';
  }
}

type Listener = (e: ChildEvent) => void;

export class JsonChild {
  readonly pid: number;
  readonly events: ChildEvent[] = [];
  private readonly proc: ChildProcess;
  private readonly listeners = new Set<Listener>();
  private exitInfo: string | undefined;

  constructor(
    lab: Lab,
    ns: string,
    script: string,
    args: object,
    readonly name: string,
    readonly logFile: string,
    /** 'node': `script` is a Node script; 'exec': an executable run as it is */
    run: 'node' | 'exec' = 'node',
  ) {
    const fd = openSync(logFile, 'a');
    try {
      // RR_CHILD_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof": profile the tester and clients.
      const nodeArgs = (process.env.RR_CHILD_NODE_ARGS ?? '').split(' ').filter(Boolean);
      const command = run === 'node' ? [process.execPath, ...nodeArgs, script] : [script];
      this.proc = spawn('ip', ['netns', 'exec', ns, ...command, JSON.stringify(args)], {
        stdio: ['pipe', 'pipe', fd],
        detached: true,
      });
    } finally {
      closeSync(fd);
    }
    if (this.proc.pid === undefined) throw new ChildFailedError(name, 'could not be started', '');
    this.pid = this.proc.pid;
    lab.defer(() => this.kill());
    this.proc.on('error', () => undefined);
    this.proc.on('exit', (code, signal) => {
      this.exitInfo = `exited (code ${code}, signal ${signal})`;
      this.dispatch({ ev: 'exit', code, signal });
    });
    const lines = createInterface({ input: this.proc.stdout! });
    lines.on('line', (line) => {
      let e: ChildEvent;
      try {
        e = JSON.parse(line) as ChildEvent;
      } catch {
        e = { ev: 'text', line };
      }
      this.dispatch(e);
    });
    this.proc.stdin!.on('error', () => undefined);
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  on(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  send(line: string): void {
    this.proc.stdin!.write(`${line}\n`);
  }

  /** Resolves with the first event (past or future) matching `pred`; rejects on exit, error or timeout. */
  waitFor(pred: (e: ChildEvent) => boolean, what: string, timeoutMs: number): Promise<ChildEvent> {
    const seen = this.events.find(pred);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new ChildFailedError(this.name, `no ${what} within ${timeoutMs} ms`, this.logTail()));
      }, timeoutMs);
      const off = this.on((e) => {
        if (pred(e)) {
          clearTimeout(timer);
          off();
          resolve(e);
        } else if (e.ev === 'exit' || e.ev === 'error') {
          clearTimeout(timer);
          off();
          reject(new ChildFailedError(this.name, `${e.ev === 'error' ? String(e.msg) : this.exitInfo ?? 'exited'} while waiting for ${what}`, this.logTail()));
        }
      });
    });
  }

  logTail(lines = 20): string {
    if (!existsSync(this.logFile)) return '';
    return readFileSync(this.logFile, 'utf8').trim().split('\n').slice(-lines).join('\n');
  }

  /**
   * SIGTERM (the children exit at once, writing a --cpu-prof profile if asked), SIGKILL to the
   * process group shortly after; synchronous so the lab's exit hooks can call it.
   */
  kill(): void {
    if (!this.running) return;
    try {
      process.kill(this.pid, 'SIGTERM');
      const until = Date.now() + 500;
      while (Date.now() < until && processExists(this.pid)) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  private dispatch(e: ChildEvent): void {
    this.events.push(e);
    for (const fn of [...this.listeners]) fn(e);
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
