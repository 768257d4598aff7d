// Memory and CPU of the daemons of bench/cluster.ts, from /proc (proc(5)).
//
// VmRSS counts every resident page the process maps, shared or not: for a Node.js daemon about
// 35–40 MB of it is the `node` executable's own text, mapped from the page cache and shared by
// every Node process on the machine. RssAnon is the process's private memory (heap, stacks,
// malloc); PSS (smaps_rollup) charges each shared page to its sharers in equal parts, which is
// what N daemons on one machine really cost each.

import { readFileSync } from 'node:fs';

/** sysconf(_SC_CLK_TCK): 100 on Linux x86-64 and arm64 (USER_HZ is fixed in the ABI). */
const CLK_TCK = 100;

/** utime + stime in seconds from /proc/PID/stat alone (cheap enough for 200 pids at once); 0 when gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may contain spaces and parentheses: split after the last ')'.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return 0;
  }
}

export interface MemSample {
  rssMb: number;
  anonMb: number;
  fileMb: number;
  hwmMb: number;
  /** undefined when smaps_rollup is not readable */
  pssMb?: number;
  cpuSeconds: number;
}

const kb = (text: string, key: string): number | undefined => {
  const m = new RegExp(`^${key}:\\s+(\\d+)\\s+kB`, 'm').exec(text);
  return m ? (Number(m[1]) * 1024) / 1e6 : undefined;
};

/** undefined when the process is gone. */
export function memSample(pid: number): MemSample | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  let pssMb: number | undefined;
  try {
    pssMb = kb(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'), 'Pss');
  } catch {
    // older kernels
  }
  return {
    rssMb: kb(status, 'VmRSS') ?? 0,
    anonMb: kb(status, 'RssAnon') ?? 0,
    fileMb: kb(status, 'RssFile') ?? 0,
    hwmMb: kb(status, 'VmHWM') ?? 0,
    ...(pssMb === undefined ? {} : { pssMb }),
    cpuSeconds: cpuSeconds(pid),
  };
}

export function cpuOf(pids: readonly number[]): number[] {
  return pids.map(cpuSeconds);
}

export interface Stat {
  mean: number;
  max: number;
  min: number;
}

export function stat(values: readonly number[]): Stat | undefined {
  if (values.length === 0) return undefined;
  return { mean: values.reduce((a, b) => a + b, 0) / values.length, max: Math.max(...values), min: Math.min(...values) };
}

export const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);
