// The announcing peer of bench/rr.ts (iBGP client routes) and bench/fib.ts (eBGP routes). Pre-builds every UPDATE before connecting (so building
// is never timed), brings the session up, waits for "go" on stdin, then writes everything as
// fast as the socket takes it, respecting back-pressure. Reports JSON lines on stdout:
//   {"ev":"built","updates":U,"bytes":B,"ms":ms}   UPDATEs ready
//   {"ev":"up"}                                     Established
//   {"ev":"first","t":ms}                           just before the first UPDATE byte was written
//   {"ev":"sent","t":ms}                            the last byte was handed to the kernel
//   {"ev":"down","why":"..."} / {"ev":"error","msg":"..."}
//
// Routes look like what an iBGP client would originate (RFC 4271 §5.1): ORIGIN IGP, empty
// AS_PATH, NEXT_HOP = the tester's address, LOCAL_PREF 100, and one COMMUNITY (RFC 1997)
// that differs per UPDATE, so a reflector sees N/10 distinct attribute sets and cannot pack
// more than 10 prefixes per outgoing UPDATE either.

import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { encodeAttributes } from '../src/wire/attributes/encode-attributes.js';
import { packIpv4 } from '../src/wire/update-pack.js';
import type { CodecContext, PathAttributes } from '../src/wire/types.js';
import { ipv4ToNumber, prefix4 } from '../src/lib/prefix.js';
import { establish, monotonicMs } from './rr-speaker.js';

export interface TesterArgs {
  /** the tester's address: session source and NEXT_HOP of every route */
  local: string;
  remote: string;
  port: number;
  /** the tester's own AS */
  asn: number;
  /**
   * eBGP towards the router under test (bench:fib): AS_PATH = (asn) and no LOCAL_PREF, as an
   * external neighbour sends (RFC 4271 §5.1.5). Default: iBGP client routes (bench:rr).
   */
  ebgp?: boolean;
  n: number;
  baseAddress: number;
  perUpdate: number;
  holdTime: number;
  setupMs: number;
}

/** Writes are batched into buffers of about this size: few syscalls, whole messages only. */
const CHUNK = 64 * 1024;

const CTX: CodecContext = { as4: true, extendedMessage: false, addPathReceive: new Set(), addPathSend: new Set() };

function emit(obj: object): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

/** Community for UPDATE u: distinct for every u below 2^32 (65000:0, 65000:1, … then 65001:0 …). */
function community(u: number): number {
  return (((65000 + Math.floor(u / 65536)) << 16) | (u % 65536)) >>> 0;
}

export function buildUpdates(args: TesterArgs): { chunks: Buffer[]; updates: number; bytes: number } {
  const nextHop = ipv4ToNumber(args.local);
  const chunks: Buffer[] = [];
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let updates = 0;
  let bytes = 0;
  for (let first = 0, u = 0; first < args.n; first += args.perUpdate, u++) {
    const prefixes: number[] = [];
    for (let i = first; i < Math.min(args.n, first + args.perUpdate); i++) prefixes.push(prefix4(args.baseAddress + i * 256, 24));
    const attrs: PathAttributes = args.ebgp
      ? { origin: 0, asPath: [{ type: 2, asns: [args.asn] }], nextHop, communities: [community(u)] }
      : { origin: 0, asPath: [], nextHop, localPref: 100, communities: [community(u)] };
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
  const args = JSON.parse(process.argv[2] ?? '{}') as TesterArgs;
  const started = monotonicMs();
  const { chunks, updates, bytes } = buildUpdates(args);
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

// Run only as a script (the parent spawns it), not when imported for buildUpdates.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    emit({ ev: 'error', msg: err instanceof Error ? err.message : String(err) });
    process.exitCode = 1;
  });
}
