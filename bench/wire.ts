// UPDATE codec throughput: `npm run bench:wire` (or `npx tsc -p tsconfig.build.json &&
// node dist/bench/wire.js`). Builds a stream of ~1M IPv4 /24s, 10 per UPDATE, with ORIGIN,
// a 3-ASN AS_PATH, NEXT_HOP, MED and one community that varies per UPDATE (DISTINCT_SETS
// distinct attribute sets), then measures:
//   decode            walking message boundaries from the header length + decodeUpdate
//   decode (cache)    the same with an AttrCache (UPDATEs of one set share PathAttributes)
//   encode (packed)   per attribute set: encodeAttributes once + packIpv4 (the speaker's path)
//   encode (raw)      per UPDATE: encodeUpdateRaw with the set's pre-encoded attributes
//   encode (typed)    per UPDATE: encodeUpdate from the UpdateMessage value
// Target (DESIGN.md): ≥ 5 million IPv4 prefixes/s each way on one core.
import { performance } from 'node:perf_hooks';
import { AttrCache } from '../src/wire/attributes/cache.js';
import { encodeAttributes } from '../src/wire/attributes/encode-attributes.js';
import { decodeUpdate } from '../src/wire/update-decode.js';
import { encodeUpdate, encodeUpdateRaw } from '../src/wire/update-encode.js';
import { packIpv4 } from '../src/wire/update-pack.js';
import type { CodecContext, PathAttributes, UpdateMessage } from '../src/wire/types.js';

const UPDATES = 100_000;
const PER_UPDATE = 10;
const DISTINCT_SETS = 10_000;
const ROUNDS = 5;

const ctx: CodecContext = { as4: true, extendedMessage: false, addPathReceive: new Set(), addPathSend: new Set() };

function buildStream(): Buffer {
  const parts: Buffer[] = [];
  let next = 0x10000000; // 16.0.0.0, /24 steps
  for (let u = 0; u < UPDATES; u++) {
    const prefixes: number[] = [];
    for (let i = 0; i < PER_UPDATE; i++, next += 256) prefixes.push(next * 64 + 24);
    const attrs: PathAttributes = {
      origin: 0,
      asPath: [{ type: 2, asns: [65001, 65002, 65003] }],
      nextHop: 0xc0000201,
      med: 100,
      communities: [((65000 << 16) | (u % DISTINCT_SETS)) >>> 0],
    };
    const msg: UpdateMessage = {
      kind: 'update',
      withdrawn: { family: 'ipv4-unicast', prefixes: [] },
      attrs,
      nlri: { family: 'ipv4-unicast', prefixes },
      treatAsWithdraw: false,
      attributeErrors: [],
    };
    parts.push(encodeUpdate(msg, ctx));
  }
  return Buffer.concat(parts);
}

function decodeStream(stream: Buffer, cache: AttrCache | undefined, out: UpdateMessage[] | null): number {
  let prefixes = 0;
  let off = 0;
  while (off < stream.length) {
    const len = (stream[off + 16]! << 8) | stream[off + 17]!; // RFC 4271 §4.1 Length
    const msg = decodeUpdate(stream.subarray(off + 19, off + len), ctx, cache);
    prefixes += msg.nlri.prefixes.length;
    if (out) out.push(msg);
    off += len;
  }
  return prefixes;
}

interface Row {
  name: string;
  prefixes: number;
  messages: number;
  /** best round */
  seconds: number;
  /** median round */
  median: number;
}

function best(name: string, run: () => { prefixes: number; messages: number }): Row {
  run(); // warm-up
  const times: number[] = [];
  let r = { prefixes: 0, messages: 0 };
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    r = run();
    times.push((performance.now() - t0) / 1000);
  }
  times.sort((x, y) => x - y);
  return { name, prefixes: r.prefixes, messages: r.messages, seconds: times[0]!, median: times[times.length >> 1]! };
}

function main(): void {
  const t0 = performance.now();
  const stream = buildStream();
  console.log(`stream: ${UPDATES} UPDATEs, ${UPDATES * PER_UPDATE} prefixes, ${(stream.length / 1e6).toFixed(1)} MB, ${DISTINCT_SETS} attribute sets (built in ${((performance.now() - t0) / 1000).toFixed(2)} s)`);

  const rows: Row[] = [];
  rows.push(best('decode', () => ({ prefixes: decodeStream(stream, undefined, null), messages: UPDATES })));
  rows.push(best('decode (AttrCache)', () => ({ prefixes: decodeStream(stream, new AttrCache({ maxEntries: 65536 }), null), messages: UPDATES })));

  const decoded: UpdateMessage[] = [];
  decodeStream(stream, new AttrCache({ maxEntries: 65536 }), decoded);
  // Group routes by (shared) attribute object, as the Adj-RIB-Out buckets will.
  const groups = new Map<PathAttributes, number[]>();
  for (const m of decoded) {
    const list = groups.get(m.attrs!) ?? [];
    for (const p of m.nlri.prefixes) list.push(p);
    groups.set(m.attrs!, list);
  }
  if (groups.size !== DISTINCT_SETS) throw new Error(`expected ${DISTINCT_SETS} shared attribute sets, got ${groups.size}`);

  rows.push(
    best('encode (packed, per set)', () => {
      let prefixes = 0;
      let messages = 0;
      for (const [attrs, list] of groups) {
        const out = packIpv4(encodeAttributes(attrs, ctx), list, 4096);
        messages += out.length;
        prefixes += list.length;
      }
      return { prefixes, messages };
    }),
  );
  const attrBytes = new Map<PathAttributes, Buffer>();
  for (const attrs of groups.keys()) attrBytes.set(attrs, encodeAttributes(attrs, ctx));
  rows.push(
    best('encode (raw, per UPDATE)', () => {
      let prefixes = 0;
      for (const m of decoded) {
        encodeUpdateRaw(attrBytes.get(m.attrs!)!, m.nlri.prefixes, m.withdrawn.prefixes);
        prefixes += m.nlri.prefixes.length;
      }
      return { prefixes, messages: decoded.length };
    }),
  );
  rows.push(
    best('encode (typed encodeUpdate)', () => {
      let prefixes = 0;
      for (const m of decoded) {
        encodeUpdate(m, ctx);
        prefixes += m.nlri.prefixes.length;
      }
      return { prefixes, messages: decoded.length };
    }),
  );

  const pad = (s: string, n: number): string => s.padEnd(n);
  const padL = (s: string, n: number): string => s.padStart(n);
  console.log(
    `\n${pad('operation', 30)}${padL('prefixes', 10)}${padL('UPDATEs', 10)}${padL('best s', 9)}${padL('median s', 10)}` +
      `${padL('prefixes/s', 13)}${padL('(median)', 10)}${padL('UPDATEs/s', 11)}`,
  );
  for (const r of rows) {
    console.log(
      `${pad(r.name, 30)}${padL(String(r.prefixes), 10)}${padL(String(r.messages), 10)}${padL(r.seconds.toFixed(3), 9)}${padL(r.median.toFixed(3), 10)}` +
        `${padL(`${(r.prefixes / r.seconds / 1e6).toFixed(2)} M`, 13)}${padL(`${(r.prefixes / r.median / 1e6).toFixed(2)} M`, 10)}` +
        `${padL(`${(r.messages / r.seconds / 1e3).toFixed(0)} k`, 11)}`,
    );
  }
  console.log(`\n${ROUNDS} rounds after one warm-up; prefixes/s from the best and the median round; node ${process.version}`);
}

main();
