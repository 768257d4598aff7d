import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, MessageHeaderSubcode } from '../../src/wire/constants.js';
import { WireError } from '../../src/wire/errors.js';
import { Framer } from '../../src/wire/framer.js';
import { encodeHeader } from '../../src/wire/header.js';
import { fromHex, MARKER } from './hex.js';

/** A message of `length` octets with the given type and a recognisable body. */
function message(length: number, type: number, seed: number): Buffer {
  const buf = Buffer.alloc(length);
  encodeHeader(length, type).copy(buf);
  for (let i = 19; i < length; i++) buf[i] = (i * 7 + seed) & 0xff;
  return buf;
}

const MESSAGES = [
  fromHex(`${MARKER} 0013 04`), // KEEPALIVE
  fromHex(`${MARKER} 001d 01 04 fde9 00f0 0a000001 00`), // OPEN without parameters
  message(4096, 2, 1), // largest UPDATE-sized message without RFC 8654
  fromHex(`${MARKER} 0017 05 0001 00 01`), // ROUTE-REFRESH
  fromHex(`${MARKER} 0015 03 04 00`), // NOTIFICATION Hold Timer Expired
  message(300, 2, 9),
  fromHex(`${MARKER} 0013 04`),
];
const STREAM = Buffer.concat(MESSAGES);

function feed(framer: Framer, chunks: Buffer[]): Buffer[] {
  return chunks.flatMap((c) => framer.push(c));
}

function expectSameMessages(got: Buffer[]): void {
  expect(got.length).toBe(MESSAGES.length);
  got.forEach((m, i) => expect(m.equals(MESSAGES[i]!)).toBe(true));
}

function catchWire(fn: () => unknown): WireError {
  try {
    fn();
  } catch (e) {
    if (e instanceof WireError) return e;
    throw e;
  }
  throw new Error('expected a WireError');
}

describe('Framer', () => {
  it('returns every message of a stream pushed in one chunk', () => {
    const framer = new Framer();
    expectSameMessages(framer.push(STREAM));
    expect(framer.buffered).toBe(0);
  });

  it('yields identical messages when the stream is cut in two at every offset', () => {
    for (let cut = 0; cut <= STREAM.length; cut++) {
      const framer = new Framer();
      expectSameMessages(feed(framer, [STREAM.subarray(0, cut), STREAM.subarray(cut)]));
      expect(framer.buffered).toBe(0);
    }
  });

  it('yields identical messages when fed byte by byte', () => {
    const framer = new Framer();
    const got: Buffer[] = [];
    for (let i = 0; i < STREAM.length; i++) got.push(...framer.push(STREAM.subarray(i, i + 1)));
    expectSameMessages(got);
  });

  it('yields identical messages for arbitrary chunkings', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: STREAM.length - 1 }), { maxLength: 40 }), (cuts) => {
        const points = [0, ...cuts.sort((a, b) => a - b), STREAM.length];
        const chunks = points.slice(1).map((end, i) => STREAM.subarray(points[i], end));
        expectSameMessages(feed(new Framer(), chunks));
      }),
      { numRuns: 300 },
    );
  });

  it('does not copy a message that lies inside one chunk', () => {
    const chunk = Buffer.from(STREAM);
    const got = new Framer().push(chunk);
    for (const m of got) expect(m.buffer).toBe(chunk.buffer);
  });

  it('does not let later chunks alias a message already returned', () => {
    const framer = new Framer();
    const chunk = Buffer.from(STREAM.subarray(0, 30)); // KEEPALIVE + 11 octets of the OPEN
    const [first] = framer.push(chunk);
    const [second] = framer.push(Buffer.from(STREAM.subarray(30, 48)));
    chunk.fill(0);
    expect(first!.equals(MESSAGES[0]!)).toBe(false); // zero-copy: the caller owns the chunk
    expect(second!.equals(MESSAGES[1]!)).toBe(true); // straddling: copied once, independent
  });

  it('keeps an incomplete message until its last octet arrives', () => {
    const framer = new Framer();
    expect(framer.push(STREAM.subarray(0, 10))).toEqual([]);
    expect(framer.buffered).toBe(10);
    expect(framer.push(STREAM.subarray(10, 18))).toEqual([]);
    expect(framer.push(STREAM.subarray(18, 19))).toHaveLength(1);
  });

  it('rejects a bad marker with Connection Not Synchronized, even split inside the marker', () => {
    const bad = fromHex(`${MARKER} 0013 04`);
    bad[7] = 0xfe;
    for (let cut = 0; cut <= bad.length; cut++) {
      const framer = new Framer();
      const err = catchWire(() => feed(framer, [bad.subarray(0, cut), bad.subarray(cut)]));
      expect([err.code, err.notifCode, err.notifSubcode]).toEqual([
        'bad-marker',
        ErrorCode.MESSAGE_HEADER,
        MessageHeaderSubcode.CONNECTION_NOT_SYNCHRONIZED,
      ]);
    }
  });

  it('rejects a length below 19 with Bad Message Length and the length as data', () => {
    const err = catchWire(() => new Framer().push(fromHex(`${MARKER} 0012 04`)));
    expect([err.notifCode, err.notifSubcode, err.data.toString('hex')]).toEqual([1, 2, '0012']);
  });

  it('rejects 4097 octets until RFC 8654 raises the limit', () => {
    const big = message(4097, 2, 3);
    const err = catchWire(() => new Framer().push(big.subarray(0, 19)));
    expect([err.notifCode, err.notifSubcode, err.data.toString('hex')]).toEqual([1, 2, '1001']);

    const framer = new Framer();
    framer.setMaxMessageSize(65535);
    expect(framer.push(big)[0]!.equals(big)).toBe(true);
    expect(new Framer({ maxMessageSize: 65535 }).push(message(65535, 2, 4))).toHaveLength(1);
  });

  it('refuses a nonsensical maximum size', () => {
    expect(() => new Framer({ maxMessageSize: 18 })).toThrow(RangeError);
    expect(() => new Framer().setMaxMessageSize(65536)).toThrow(RangeError);
  });
});
