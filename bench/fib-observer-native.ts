// The native FIB observer (fib-observer.c): built with the system C compiler when the benchmark
// starts, run in the router's namespace like the Node one (fib-observer.ts), same JSON lines.
// See fib-observer.c for why it exists: the Node observer spends most of a core counting
// notifications, CPU the router under test would otherwise have.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Lab } from '../test/harness/netns.js';
import { JsonChild } from './rr-child.js';
import type { ObserverArgs } from './fib-observer.js';

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

/** The native observer running in `ns`, speaking the same JSON lines as the Node one; killed when the lab is cleaned up. */
export function startNativeObserver(lab: Lab, ns: string, binary: string, args: ObserverArgs, logFile: string): JsonChild {
  return new JsonChild(lab, ns, binary, args, 'observer', logFile, 'exec');
}
