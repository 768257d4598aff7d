// Seeded fuzzing: random bodies and mutated valid UPDATEs. decodeUpdate must only ever return
// an UpdateMessage or throw a WireError carrying an UPDATE Message Error NOTIFICATION (never a
// RangeError or TypeError); a decoded message must re-encode or fail with a WireError.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AttrCache } from '../../src/wire/attributes/cache.js';
import { WireError } from '../../src/wire/errors.js';
import { decodeUpdate } from '../../src/wire/update-decode.js';
import { encodeUpdate } from '../../src/wire/update-encode.js';
import type { CodecContext } from '../../src/wire/types.js';
import { updateCaseArb } from './update-arbitraries.js';
import { bodyOf, context } from './update-fixtures.js';

/** mulberry32: small, seedable, good enough to drive mutations. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CONTEXTS: CodecContext[] = [context(true), context(false), context(true, ['ipv4-unicast', 'ipv6-unicast']), context(false, ['ipv4-unicast'])];

function check(body: Buffer, ctx: CodecContext, cache: AttrCache | undefined): 'ok' | 'reset' {
  let result: 'ok' | 'reset';
  try {
    const msg = decodeUpdate(body, ctx, cache);
    expect(msg.kind).toBe('update');
    result = 'ok';
    try {
      encodeUpdate(msg, { ...ctx, extendedMessage: true, addPathSend: ctx.addPathReceive });
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
    }
  } catch (e) {
    if (!(e instanceof WireError)) throw e;
    expect(e.notifCode).toBe(3);
    expect(['update-malformed', 'attribute-malformed']).toContain(e.code);
    result = 'reset';
  }
  return result;
}

function mutate(src: Buffer, r: () => number): Buffer {
  const b = Buffer.from(src);
  const ops = 1 + Math.floor(r() * 4);
  let out = b;
  for (let k = 0; k < ops; k++) {
    const pos = Math.floor(r() * Math.max(1, out.length));
    switch (Math.floor(r() * 6)) {
      case 0: // flip a bit
        if (out.length > 0) out[pos] = out[pos]! ^ (1 << Math.floor(r() * 8));
        break;
      case 1: // random byte
        if (out.length > 0) out[pos] = Math.floor(r() * 256);
        break;
      case 2: // truncate
        out = out.subarray(0, pos);
        break;
      case 3: // insert random bytes
        out = Buffer.concat([out.subarray(0, pos), Buffer.from(Array.from({ length: 1 + Math.floor(r() * 6) }, () => Math.floor(r() * 256))), out.subarray(pos)]);
        break;
      case 4: // interesting values in a length-looking spot
        if (out.length > 1) out[pos] = [0, 1, 0x7f, 0x80, 0xff, 0x10, 0x20, 0x21, 0x81][Math.floor(r() * 9)]!;
        break;
      default: // delete a byte
        out = Buffer.concat([out.subarray(0, pos), out.subarray(pos + 1)]);
    }
  }
  return out;
}

describe('UPDATE decoder fuzzing', () => {
  it('survives random bodies', () => {
    const r = rng(0xb6f);
    const cache = new AttrCache({ maxEntries: 64 });
    for (let i = 0; i < 3000; i++) {
      const len = Math.floor(r() * 120);
      const body = Buffer.from(Array.from({ length: len }, () => Math.floor(r() * 256)));
      // Plausible framing half the time, so the attribute walker is reached.
      if (len >= 4 && r() < 0.5) {
        body[0] = 0;
        body[1] = 0;
        body[2] = 0;
        body[3] = Math.floor(r() * (len - 3));
      }
      check(body, CONTEXTS[i % CONTEXTS.length]!, i % 2 ? cache : undefined);
    }
  });

  it('survives mutated valid UPDATEs', () => {
    const seeds = [...fc.sample(updateCaseArb(true), { numRuns: 40, seed: 11 }), ...fc.sample(updateCaseArb(false), { numRuns: 40, seed: 12 })].map((c) =>
      bodyOf(encodeUpdate(c.msg, c.ctx)),
    );
    const r = rng(0x7606);
    const cache = new AttrCache({ maxEntries: 64 });
    const outcomes = { ok: 0, reset: 0 };
    for (let i = 0; i < 4000; i++) {
      const body = mutate(seeds[i % seeds.length]!, r);
      outcomes[check(body, CONTEXTS[Math.floor(r() * CONTEXTS.length)]!, i % 3 ? cache : undefined)]++;
    }
    // Both paths must actually be exercised.
    expect(outcomes.ok).toBeGreaterThan(200);
    expect(outcomes.reset).toBeGreaterThan(200);
  });
});
