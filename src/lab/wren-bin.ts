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
