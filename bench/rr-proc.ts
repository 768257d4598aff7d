// Process accounting from /proc (proc(5)): CPU seconds from /proc/PID/stat (utime + stime,
// fields 14 and 15, in clock ticks; for a multi-threaded process such as FRR's bgpd or gobgpd
// the thread-group leader's line already sums every thread) and peak resident set size from
// VmHWM in /proc/PID/status.

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticks: number | undefined;

/** sysconf(_SC_CLK_TCK); 100 on every Linux we run on, asked once anyway. */
function clockTicks(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

export interface ProcSample {
  /** utime + stime, seconds; undefined when the process is gone. */
  cpuSeconds?: number;
  /** VmHWM, MB (10^6 octets); undefined when the process is gone. */
  peakRssMb?: number;
  /**
   * Seconds its threads spent runnable but waiting for a CPU (second field of
   * /proc/PID/task/TID/schedstat, summed over threads): high values mean the machine, not the
   * program, set the pace.
   */
  runDelaySeconds?: number;
  /** /proc/PID/comm, to show which program was measured. */
  comm?: string;
}

export function sampleProcess(pid: number): ProcSample {
  const out: ProcSample = {};
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may contain spaces and parentheses: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.cpuSeconds = (Number(fields[11]) + Number(fields[12])) / clockTicks();
  } catch {
    return out;
  }
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwm = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
    if (hwm) out.peakRssMb = (Number(hwm[1]) * 1024) / 1e6;
    let delayNs = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        delayNs += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[1]);
      } catch {
        // the thread exited between the listing and the read
      }
    }
    out.runDelaySeconds = delayNs / 1e9;
    out.comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    // the process exited between the reads
  }
  return out;
}

/** Machine-wide steal time so far, seconds (/proc/stat "cpu" line, 8th value): a VM's lost CPU. */
export function stealSeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  return Number(line.trim().split(/\s+/)[8] ?? 0) / clockTicks();
}

/** Machine-wide busy CPU so far (user+nice+system+irq+softirq+steal of the "cpu" line), seconds. */
export function machineBusySeconds(): number {
  const v = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).map(Number);
  // cpu user nice system idle iowait irq softirq steal …
  return ((v[1] ?? 0) + (v[2] ?? 0) + (v[3] ?? 0) + (v[6] ?? 0) + (v[7] ?? 0) + (v[8] ?? 0)) / clockTicks();
}
