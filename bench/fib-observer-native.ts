// The native FIB observer (fib-observer.c): built with the system C compiler when the benchmark
// starts, run in the router's namespace like the Node one (fib-observer.ts), same JSON lines.
// See fib-observer.c for why it exists: the Node observer spends most of a core counting
// notifications, CPU the router under test would otherwise have.

import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Lab } from '../test/harness/netns.js';
import { ChildFailedError, type ChildEvent } from './rr-child.js';
import type { ObserverArgs } from './fib-observer.js';

/** What fib-measure.ts needs of an observer process (JsonChild has the same shape). */
export interface ObserverProcess {
  readonly pid: number;
  on(fn: (e: ChildEvent) => void): () => void;
  waitFor(pred: (e: ChildEvent) => boolean, what: string, timeoutMs: number): Promise<ChildEvent>;
}

const here = dirname(fileURLToPath(import.meta.url));

/** bench/fib-observer.c from the source tree (this file runs from dist/bench/ or bench/). */
function sourcePath(): string | undefined {
  for (const dir of [here, join(here, '..', '..', 'bench')]) {
    const p = join(dir, 'fib-observer.c');
    if (existsSync(p)) return p;
  }
  return undefined;
}

export type NativeObserverBuild = { binary: string; cleanup(): void } | { reason: string };

/** Compiles the observer into a fresh temporary directory (`CC`, default cc). */
export function buildNativeObserver(): NativeObserverBuild {
  const src = sourcePath();
  if (src === undefined) return { reason: 'bench/fib-observer.c not found' };
  const dir = mkdtempSync(join(tmpdir(), 'wren-fib-observer-'));
  const binary = join(dir, 'fib-observer');
  const cc = process.env.CC ?? 'cc';
  try {
    execFileSync(cc, ['-O2', '-Wall', '-Werror', '-o', binary, src], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim().split('\n')[0];
    return { reason: `${cc} could not build ${src}${stderr ? `: ${stderr}` : ''}` };
  }
  return { binary, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The native observer running in `ns`; killed when the lab is cleaned up. */
export class NativeObserver implements ObserverProcess {
  readonly pid: number;
  private readonly events: ChildEvent[] = [];
  private readonly listeners = new Set<(e: ChildEvent) => void>();
  private readonly proc: ChildProcess;
  private exitInfo: string | undefined;

  constructor(lab: Lab, ns: string, binary: string, args: ObserverArgs, private readonly logFile: string) {
    const fd = openSync(logFile, 'a');
    try {
      this.proc = spawn('ip', ['netns', 'exec', ns, binary, JSON.stringify(args)], { stdio: ['pipe', 'pipe', fd], detached: true });
    } finally {
      closeSync(fd);
    }
    if (this.proc.pid === undefined) throw new ChildFailedError('observer', 'could not be started', '');
    this.pid = this.proc.pid;
    lab.defer(() => this.kill());
    this.proc.on('error', () => undefined);
    this.proc.on('exit', (code, signal) => {
      this.exitInfo = `exited (code ${code}, signal ${signal})`;
      this.dispatch({ ev: 'exit', code, signal });
    });
    createInterface({ input: this.proc.stdout! }).on('line', (line) => {
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

  on(fn: (e: ChildEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  waitFor(pred: (e: ChildEvent) => boolean, what: string, timeoutMs: number): Promise<ChildEvent> {
    const seen = this.events.find(pred);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new ChildFailedError('observer', `no ${what} within ${timeoutMs} ms`, this.logTail()));
      }, timeoutMs);
      const off = this.on((e) => {
        if (pred(e)) {
          clearTimeout(timer);
          off();
          resolve(e);
        } else if (e.ev === 'exit' || e.ev === 'error') {
          clearTimeout(timer);
          off();
          reject(new ChildFailedError('observer', `${e.ev === 'error' ? String(e.msg) : this.exitInfo ?? 'exited'} while waiting for ${what}`, this.logTail()));
        }
      });
    });
  }

  /** SIGTERM (it exits at once), SIGKILL to its process group as a backstop; synchronous. */
  kill(): void {
    if (this.exitInfo !== undefined) return;
    try {
      process.kill(this.pid, 'SIGTERM');
      const until = Date.now() + 500;
      while (Date.now() < until && alive(this.pid)) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  private logTail(lines = 20): string {
    if (!existsSync(this.logFile)) return '';
    return readFileSync(this.logFile, 'utf8').trim().split('\n').slice(-lines).join('\n');
  }

  private dispatch(e: ChildEvent): void {
    this.events.push(e);
    for (const fn of [...this.listeners]) fn(e);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
