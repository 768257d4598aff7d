// The repository's bin/wren, whether this module runs compiled (dist/src/lab) or from source
// (src/lab, under vitest): the lab starts daemons and cluster commands with it.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LabStateError } from './errors.js';

export function wrenBin(): string {
  let dir = import.meta.dirname;
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'bin', 'wren');
    if (existsSync(candidate) && existsSync(join(dir, 'package.json'))) return candidate;
    dir = dirname(dir);
  }
  throw new LabStateError(`cannot find bin/wren above ${import.meta.dirname}`);
}

/** `node bin/wren ARGS` as a command and its arguments. */
export function wrenCommand(args: readonly string[]): [string, string[]] {
  return [process.execPath, [wrenBin(), ...args]];
}

/**
 * How a node daemon is started (the image's entry point does the same):
 * - a 1 MB young generation (V8's default grows to 16 MB per semi-space) saves ~14 MB of RSS
 *   per daemon for ~15% more CPU under heavy route churn, the right trade for a node agent;
 * - functions must run 8x longer than V8's default before TurboFan optimises them. A node
 *   agent's work is a little of everything (sessions forming, a few routes): in a 100-node mesh
 *   forming on two cores each daemon spent ~30% of its CPU compiling code it then barely ran
 *   (perf), and the mesh formed in 7.7 s instead of 12.3 s with it. Not for a reflector or an
 *   edge speaker with full tables: there the default optimises the hot path sooner
 *   (bench:rr 100k x 4: 0.35-0.39 s by default, 0.46-0.57 s with this flag).
 * The young generation's size can only be set on the command line. The budget could be set at
 * run time (v8.setFlagsFromString, measured to take effect), but only node agents want it.
 */
export const DAEMON_NODE_FLAGS = ['--max-semi-space-size=1', '--interrupt-budget=540672'] as const;

export function daemonCommand(args: readonly string[]): [string, string[]] {
  return [process.execPath, [...DAEMON_NODE_FLAGS, wrenBin(), ...args]];
}
