// How soon V8 hands a daemon's functions to its optimizing compiler (TurboFan).
//
// V8 optimizes a function once it has run a budget's worth of bytecode. Each daemon of a node
// agent runs its session code (connect, OPEN, the first UPDATEs, the kernel route) once per
// peer: enough to cross the default budget, not enough to repay the compile. In the 100-node
// mesh of bench:cluster, TurboFan's background jobs were 24% of the daemons' CPU while the mesh
// formed, compiled separately in each of the 100 processes. A 4 times larger budget leaves most
// of that code in the baseline tiers (formation 7.3-8.0 s at 13.6-15.1 CPU-s before, 5.5-6.0 s
// at 10.5-11.3 after); code that really is hot (a reflector's full table) still crosses it
// within its first milliseconds: bench:rr's 1M x 4 took 1.49-1.54 s, 1.61-1.62 s before. A 16
// times larger budget saved no more in the mesh and made that row 15% slower.
import { setFlagsFromString } from 'node:v8';

/** V8's own default (--interrupt-budget, V8 11.3 in Node 20). */
export const V8_DEFAULT_INTERRUPT_BUDGET = 66 * 1024;
export const DAEMON_INTERRUPT_BUDGET = 4 * V8_DEFAULT_INTERRUPT_BUDGET;

/**
 * The V8 flag the daemon sets, or null when the operator already chose one on Node's command
 * line (`node --interrupt-budget=N bin/wren daemon …`, or NODE_OPTIONS): theirs wins.
 */
export function tierUpFlag(execArgv: readonly string[], nodeOptions: string | undefined): string | null {
  const given = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)];
  if (given.some((a) => /^--interrupt[-_]budget(=|$)/.test(a))) return null;
  return `--interrupt-budget=${DAEMON_INTERRUPT_BUDGET}`;
}

/** Set once, first thing in the daemon: functions pick the budget up as their counters reset. */
export function raiseTierUpBudget(): void {
  const flag = tierUpFlag(process.execArgv, process.env.NODE_OPTIONS);
  if (flag) setFlagsFromString(flag);
}
