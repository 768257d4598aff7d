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
 * How a node daemon is started: a 1 MB young generation (V8's default grows to 16 MB per
 * semi-space) saves ~14 MB of RSS per daemon for ~15% more CPU under heavy route churn, the
 * right trade for a node agent. The flag only works on the command line.
 */
export const DAEMON_NODE_FLAGS = ['--max-semi-space-size=1'] as const;

export function daemonCommand(args: readonly string[]): [string, string[]] {
  return [process.execPath, [...DAEMON_NODE_FLAGS, wrenBin(), ...args]];
}
