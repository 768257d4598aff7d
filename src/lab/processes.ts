// Stopping the lab's daemons by pid: SIGTERM, then SIGKILL after a grace period. A pid from the
// state file is only signalled while its command line still names the lab directory, so a pid
// reused by an unrelated process after a reboot or crash is never touched.
import { readFileSync } from 'node:fs';
import { sleep } from './shell.js';

/** Running and not a zombie (a zombie whose parent does not reap it still answers kill(pid, 0)). */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

export function commandLineOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return undefined;
  }
}

/** The pid still runs the lab's program (its command line names a file in the lab directory). */
export function isLabProcess(pid: number, dir: string): boolean {
  return isRunning(pid) && (commandLineOf(pid)?.includes(`${dir.replace(/\/+$/, '')}/`) ?? false);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}

export interface StopReport {
  /** exited after SIGTERM */
  terminated: number[];
  /** needed SIGKILL */
  killed: number[];
}

/** SIGTERM to every pid at once, wait up to `graceMs` for all, SIGKILL the rest. */
export async function stopProcesses(pids: readonly number[], graceMs = 5_000): Promise<StopReport> {
  const live = [...new Set(pids)].filter(isRunning);
  for (const pid of live) signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && live.some(isRunning)) await sleep(50);
  const stubborn = live.filter(isRunning);
  for (const pid of stubborn) signal(pid, 'SIGKILL');
  const killDeadline = Date.now() + 2_000;
  while (Date.now() < killDeadline && stubborn.some(isRunning)) await sleep(20);
  return { terminated: live.filter((p) => !stubborn.includes(p)), killed: stubborn };
}
