// Small things every lab command shares.
import { existsSync, readFileSync } from 'node:fs';
import { LabNotRootError } from './errors.js';
import { DEFAULT_LAB_DIR, DEFAULT_LAB_PREFIX } from './plan.js';

export function requireRoot(command: string): void {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) throw new LabNotRootError(command);
}

/** `wren lab down` with the options needed to reach this lab. */
export function downCommandHint(dir: string, prefix: string): string {
  return labCommand('down', dir, prefix);
}

export function labCommand(sub: string, dir: string, prefix: string): string {
  const defaultDir = process.env.WREN_LAB_DIR ?? DEFAULT_LAB_DIR;
  return ['wren lab', sub, ...(dir !== defaultDir ? [`--dir ${dir}`] : []), ...(prefix !== DEFAULT_LAB_PREFIX ? [`--prefix ${prefix}`] : [])].join(' ');
}

/** The last `lines` lines of a log file, or a note that there is none. */
export function tailOf(file: string, lines: number): string {
  if (!existsSync(file)) return `(no ${file})`;
  const all = readFileSync(file, 'utf8').trimEnd().split('\n');
  return all.slice(-lines).join('\n');
}
