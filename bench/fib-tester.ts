// The announcing eBGP peer of bench/fib.ts. Like rr-tester.ts (same JSON-line protocol and
// the same speaker), but its routes are what an external neighbour sends (RFC 4271 §5.1):
// ORIGIN IGP, AS_PATH = (its own AS), NEXT_HOP = its own address on the shared subnet (so the
// router under test installs them as gateway routes), no LOCAL_PREF (§5.1.5), and one
// COMMUNITY (RFC 1997) per UPDATE as in bench:rr. Every UPDATE is built before the session
// comes up; after "go" on stdin they are written as fast as the socket takes them.
//   {"ev":"built","updates":U,"bytes":B,"ms":ms}   UPDATEs ready
//   {"ev":"up"}                                     Established
//   {"ev":"first","t":ms}                           just before the first UPDATE byte was written
//   {"ev":"sent","t":ms}                            the last byte was handed to the kernel
//   {"ev":"down","why":"..."} / {"ev":"error","msg":"..."}

import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { encodeAttributes } from '../src/wire/attributes/encode-attributes.js';
import { packIpv4 } from '../src/wire/update-pack.js';
import type { CodecContext, PathAttributes } from '../src/wire/types.js';
import { ipv4ToNumber, prefix4 } from '../src/lib/prefix.js';
import { establish, monotonicMs } from './rr-speaker.js';

export interface FibTesterArgs {
  /** The tester's address: session source and NEXT_HOP of every route. */
  local: string;
  remote: string;
  port: number;
  /** The tester's own AS (eBGP towards the router under test). */
  asn: number;
  n: number;
  baseAddress: number;
  perUpdate: number;
  holdTime: number;
  setupMs: number;
}

/** Writes are batched into buffers of about this size: few syscalls, whole messages only. */
const CHUNK = 64 * 1024;
const AS_SEQUENCE = 2;

const CTX: CodecContext = { as4: true, extendedMessage: false, addPathReceive: new Set(), addPathSend: new Set() };

function emit(obj: object): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

/** Community for UPDATE u: distinct for every u below 2^32 (65000:0, 65000:1, … then 65001:0 …). */
function community(u: number): number {
  return (((65000 + Math.floor(u / 65536)) << 16) | (u % 65536)) >>> 0;
}

export function buildFibUpdates(args: FibTesterArgs): { chunks: Buffer[]; updates: number; bytes: number } {
  const nextHop = ipv4ToNumber(args.local);
  const chunks: Buffer[] = [];
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let updates = 0;
  let bytes = 0;
  for (let first = 0, u = 0; first < args.n; first += args.perUpdate, u++) {
    const prefixes: number[] = [];
    for (let i = first; i < Math.min(args.n, first + args.perUpdate); i++) prefixes.push(prefix4(args.baseAddress + i * 256, 24));
    const attrs: PathAttributes = { origin: 0, asPath: [{ type: AS_SEQUENCE, asns: [args.asn] }], nextHop, communities: [community(u)] };
    for (const msg of packIpv4(encodeAttributes(attrs, CTX), prefixes)) {
      if (pendingBytes + msg.length > CHUNK) {
        chunks.push(Buffer.concat(pending, pendingBytes));
        pending = [];
        pendingBytes = 0;
      }
      pending.push(msg);
      pendingBytes += msg.length;
      bytes += msg.length;
      updates++;
    }
  }
  if (pendingBytes > 0) chunks.push(Buffer.concat(pending, pendingBytes));
  return { chunks, updates, bytes };
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? '{}') as FibTesterArgs;
  const started = monotonicMs();
  const { chunks, updates, bytes } = buildFibUpdates(args);
  emit({ ev: 'built', updates, bytes, ms: monotonicMs() - started });

  const lines = createInterface({ input: process.stdin });
  const go = new Promise<void>((resolve) => {
    lines.on('line', (l) => {
      if (l.trim() === 'go') resolve();
    });
  });
  lines.on('close', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));

  const session = await establish(
    {
      local: args.local,
      remote: args.remote,
      port: args.port,
      asn: args.asn,
      bgpId: args.local,
      holdTime: args.holdTime,
      onDown: (why) => emit({ ev: 'down', why }),
    },
    Date.now() + args.setupMs,
  );
  emit({ ev: 'up' });
  await go;

  const t0 = monotonicMs();
  let firstReported = false;
  for (const c of chunks) {
    const w = session.write(c);
    if (!firstReported) {
      firstReported = true;
      emit({ ev: 'first', t: t0 });
    }
    await w;
  }
  emit({ ev: 'sent', t: monotonicMs() });
}

// Run only as a script (the parent spawns it), not when imported for buildFibUpdates.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    emit({ ev: 'error', msg: err instanceof Error ? err.message : String(err) });
    process.exitCode = 1;
  });
}
