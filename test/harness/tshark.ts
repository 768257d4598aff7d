// Packet captures of BGP inside a lab namespace, and Wireshark's BGP dissector as an
// independent judge of what went over the wire (malformed frames, message counts).

import { existsSync, statSync } from 'node:fs';
import { run } from './exec.js';
import type { Daemon } from './exec.js';
import type { Lab } from './netns.js';
import { waitFor } from './wait.js';

export interface Capture {
  readonly file: string;
  readonly daemon: Daemon;
  /**
   * Polls the live capture file until at least `min` frames match `displayFilter`; resolves
   * with their summary lines. Use this for packets a test asserts on (see stop()).
   */
  waitForFrames(displayFilter: string, min: number, timeoutMs?: number): Promise<string[]>;
  /**
   * Waits (bounded) until the file stops growing, then stops tshark. dumpcap receives packets
   * from the kernel in blocks every ~250 ms and drops a partly filled block when signalled, so
   * without this drain the last packets before stop() can be missing from the file.
   */
  stop(): Promise<void>;
}

export interface BgpCounts {
  open: number;
  update: number;
  notification: number;
  keepalive: number;
  routeRefresh: number;
  other: number;
  total: number;
}

export class CaptureError extends Error {
  readonly code = 'HARNESS_CAPTURE';
  constructor(message: string) {
    super(message);
    this.name = 'CaptureError';
  }
}

/**
 * Starts `tshark -i IFNAME -f 'tcp port 179' -w FILE` in `ns` and resolves once tshark reports
 * that capturing has begun, so no packet sent after this returns is missed.
 */
export async function startCapture(lab: Lab, ns: string, ifname: string, file: string, filter = 'tcp port 179'): Promise<Capture> {
  const logFile = `${file}.tshark.log`;
  const daemon = lab.spawn(ns, 'tshark', ['-n', '-i', ifname, '-f', filter, '-w', file], {
    logFile,
    name: `tshark@${ns}:${ifname}`,
  });
  await waitFor(
    () => {
      daemon.assertRunning();
      return /Capturing on/.test(daemon.logTail(50));
    },
    { timeoutMs: 10_000, intervalMs: 50, what: `tshark capturing on ${ns}:${ifname}` },
  );
  const size = (): number => (existsSync(file) ? statSync(file).size : 0);
  return {
    file,
    daemon,
    async waitForFrames(displayFilter, min, timeoutMs = 10_000) {
      return waitFor(
        async () => {
          daemon.assertRunning();
          // The file is being written: a truncated last block makes tshark exit non-zero, but
          // every complete frame before it is still printed.
          const lines = await readCapture(file, displayFilter, [], true);
          return lines.length >= min ? lines : undefined;
        },
        { timeoutMs, intervalMs: 200, what: `${min} frame(s) matching ${displayFilter} in ${file}` },
      );
    },
    async stop() {
      if (daemon.running) {
        let last = -1;
        await waitFor(
          () => {
            const now = size();
            const stable = now === last && now > 0;
            last = now;
            return stable;
          },
          { timeoutMs: 3_000, intervalMs: 400, what: `capture ${file} to stop growing` },
        ).catch(() => undefined); // still growing after 3 s: stop anyway, the file stays valid
      }
      await daemon.stop(5_000);
      if (!existsSync(file)) throw new CaptureError(`capture file ${file} missing after tshark stopped:\n${daemon.logTail(20)}`);
    },
  };
}

/** Runs `tshark -r FILE -Y FILTER [-T fields -e …]` and returns its non-empty stdout lines. */
export async function readCapture(file: string, displayFilter: string, fields: string[] = [], live = false): Promise<string[]> {
  const args = ['-n', '-r', file, '-Y', displayFilter];
  if (fields.length > 0) args.push('-T', 'fields', '-E', 'separator=/t', ...fields.flatMap((f) => ['-e', f]));
  const r = await run('tshark', args, { timeoutMs: 60_000, allowFailure: live });
  return r.stdout.split('\n').filter((l) => l.trim() !== '');
}

/** Frames Wireshark considers malformed or carrying an error-level expert note. Empty is good. */
export function malformed(file: string): Promise<string[]> {
  return readCapture(file, '_ws.malformed || _ws.expert.severity == error');
}

/** BGP messages in the capture by type (RFC 4271 §4.1; ROUTE-REFRESH is RFC 2918). */
export async function countBgp(file: string): Promise<BgpCounts> {
  const counts: BgpCounts = { open: 0, update: 0, notification: 0, keepalive: 0, routeRefresh: 0, other: 0, total: 0 };
  const names: Record<string, keyof BgpCounts> = { '1': 'open', '2': 'update', '3': 'notification', '4': 'keepalive', '5': 'routeRefresh' };
  // One line per frame; a frame holding several BGP messages lists their types comma-separated.
  for (const line of await readCapture(file, 'bgp', ['bgp.type'])) {
    for (const t of line.split(',').map((s) => s.trim()).filter(Boolean)) {
      counts[names[t] ?? 'other'] += 1;
      counts.total += 1;
    }
  }
  return counts;
}
