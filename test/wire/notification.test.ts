import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CeaseSubcode, ErrorCode } from '../../src/wire/constants.js';
import { WireError } from '../../src/wire/errors.js';
import {
  ceaseNotification,
  decodeNotification,
  decodeShutdownCommunication,
  describeNotification,
  encodeNotification,
  encodeShutdownCommunication,
} from '../../src/wire/notification.js';
import { DEFAULT_CODEC_CONTEXT, type NotificationMessage } from '../../src/wire/types.js';
import { fromHex, MARKER, toHex } from './hex.js';

const decode = (raw: Buffer): NotificationMessage => decodeNotification(raw.subarray(19));
const notification = (code: number, subcode: number, dataHex = ''): NotificationMessage => ({
  kind: 'notification',
  code,
  subcode,
  data: fromHex(dataHex),
});

const GOLDEN: [name: string, hex: string, value: NotificationMessage][] = [
  ['Hold Timer Expired', `${MARKER} 0015 03 04 00`, notification(4, 0)],
  ['OPEN Message Error / Bad Peer AS with the AS', `${MARKER} 0017 03 02 02 fde9`, notification(2, 2, 'fde9')],
  ['Message Header Error / Bad Message Length', `${MARKER} 0017 03 01 02 1001`, notification(1, 2, '1001')],
  [
    'Cease / Administrative Shutdown with "bye" (RFC 9003)',
    `${MARKER} 0019 03 06 02 03 627965`,
    notification(6, 2, '03 627965'),
  ],
  ['Cease / Hard Reset (RFC 8538) wrapping Hold Timer Expired', `${MARKER} 0017 03 06 09 04 00`, notification(6, 9, '04 00')],
  ['FSM Error in OpenConfirm (RFC 6608)', `${MARKER} 0015 03 05 02`, notification(5, 2)],
];

describe('NOTIFICATION golden bytes', () => {
  for (const [name, hex, value] of GOLDEN) {
    it(`decodes and encodes ${name}`, () => {
      expect(decode(fromHex(hex))).toEqual(value);
      expect(toHex(encodeNotification(value))).toBe(toHex(fromHex(hex)));
    });
  }

  it('copies the data so the message does not pin the receive buffer', () => {
    const raw = fromHex(`${MARKER} 0017 03 02 02 fde9`);
    const msg = decode(raw);
    raw.fill(0);
    expect(toHex(msg.data)).toBe('fde9');
  });
});

describe('NOTIFICATION errors and limits', () => {
  it('rejects a 20-octet NOTIFICATION with Bad Message Length and the length as data', () => {
    try {
      decode(fromHex(`${MARKER} 0014 03 06`));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(WireError);
      const w = e as WireError;
      expect([w.code, w.notifCode, w.notifSubcode, toHex(w.data)]).toEqual(['notification-malformed', 1, 2, '0014']);
    }
  });

  it('truncates data to fit 4096 octets, or 65535 with extended messages', () => {
    const big = notification(3, 1);
    big.data = Buffer.alloc(70000, 1);
    expect(encodeNotification(big).length).toBe(4096);
    expect(encodeNotification(big, { ...DEFAULT_CODEC_CONTEXT, extendedMessage: true }).length).toBe(65535);
  });

  it('refuses codes outside one octet', () => {
    expect(() => encodeNotification(notification(256, 0))).toThrow(WireError);
    expect(() => encodeNotification(notification(6, -1))).toThrow(WireError);
  });
});

describe('RFC 9003 Shutdown Communication', () => {
  it('encodes a length octet and UTF-8', () => {
    expect(toHex(encodeShutdownCommunication('bye'))).toBe('03627965');
    expect(toHex(encodeShutdownCommunication(''))).toBe('00');
    expect(toHex(encodeShutdownCommunication('é'))).toBe('02c3a9');
  });

  it('truncates to 255 octets without splitting a character', () => {
    const ascii = encodeShutdownCommunication('a'.repeat(300));
    expect([ascii.length, ascii[0]]).toEqual([256, 255]);
    // 254 ASCII octets then a 3-octet character: the character must go entirely.
    const cut = encodeShutdownCommunication('a'.repeat(254) + '€');
    expect([cut.length, cut[0]]).toEqual([255, 254]);
    expect(decodeShutdownCommunication(cut)).toBe('a'.repeat(254));
    const emoji = encodeShutdownCommunication('😀'.repeat(100)); // 4 octets each
    expect(emoji[0]).toBe(252);
    expect(decodeShutdownCommunication(emoji)).toBe('😀'.repeat(63));
  });

  it('decodes leniently: missing, overlong or invalid UTF-8 gives undefined', () => {
    expect(decodeShutdownCommunication(fromHex('03627965'))).toBe('bye');
    expect(decodeShutdownCommunication(fromHex('00'))).toBe('');
    expect(decodeShutdownCommunication(fromHex('03627965 ffff'))).toBe('bye'); // trailing octets ignored
    expect(decodeShutdownCommunication(fromHex(''))).toBeUndefined();
    expect(decodeShutdownCommunication(fromHex('05627965'))).toBeUndefined();
    expect(decodeShutdownCommunication(fromHex('02c328'))).toBeUndefined();
  });

  it('round-trips UTF-8 text and cuts 2-octet characters at a boundary', () => {
    const data = encodeShutdownCommunication('maintenance ✓');
    expect(data[0]).toBe(Buffer.byteLength('maintenance ✓'));
    expect(decodeShutdownCommunication(data)).toBe('maintenance ✓');
    const long = encodeShutdownCommunication('é'.repeat(200)); // 400 octets
    expect(long[0]).toBe(254);
    expect(decodeShutdownCommunication(long)).toBe('é'.repeat(127));
  });

  it('round-trips any text up to 255 octets', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), (text) => {
        const decoded = decodeShutdownCommunication(encodeShutdownCommunication(text));
        expect(decoded).toBeDefined();
        expect(text.startsWith(decoded!)).toBe(true);
        if (Buffer.byteLength(text) <= 255) expect(decoded).toBe(text);
      }),
    );
  });

  it('builds a Cease with the communication only for Administrative Shutdown and Reset', () => {
    expect(ceaseNotification(CeaseSubcode.ADMINISTRATIVE_SHUTDOWN, 'bye')).toEqual(notification(6, 2, '03627965'));
    expect(ceaseNotification(CeaseSubcode.ADMINISTRATIVE_RESET, '')).toEqual(notification(6, 4, '00'));
    expect(ceaseNotification(CeaseSubcode.PEER_DECONFIGURED, 'ignored')).toEqual(notification(6, 3));
    expect(ceaseNotification(CeaseSubcode.ADMINISTRATIVE_SHUTDOWN)).toEqual(notification(6, 2));
  });
});

describe('describeNotification', () => {
  it.each([
    [ErrorCode.HOLD_TIMER_EXPIRED, 0, 'Hold timer expired'],
    [ErrorCode.CEASE, CeaseSubcode.ADMINISTRATIVE_SHUTDOWN, 'Administrative shutdown'],
    [2, 2, 'Bad peer AS'],
    [2, 7, 'Unsupported capability'],
    [1, 3, 'Bad message type'],
    [3, 11, 'Malformed AS_PATH'],
    [5, 3, 'Unexpected message in Established state'],
    [6, 7, 'Connection collision resolution'],
    [6, 9, 'Hard reset'],
    [7, 1, 'Invalid message length'],
    [2, 0, 'OPEN message error'],
    [6, 99, 'Cease (99)'],
    [6, 42, 'Cease (42)'],
    [42, 3, 'Unknown error 42/3'],
    [99, 1, 'Unknown error 99/1'],
  ])('names %i/%i "%s" (BIRD wording)', (code, subcode, name) => {
    expect(describeNotification(code, subcode)).toBe(name);
  });
});

describe('NOTIFICATION round trip', () => {
  it('decodes what it encodes, for any code, subcode and data that fit', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 255 }),
        fc.uint8Array({ maxLength: 4096 - 21 }),
        (code, subcode, data) => {
          const msg = notification(code, subcode);
          msg.data = Buffer.from(data);
          expect(decode(encodeNotification(msg))).toEqual(msg);
        },
      ),
      { numRuns: 300 },
    );
  });
});
