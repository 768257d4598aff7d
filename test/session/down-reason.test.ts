import { describe, expect, it } from 'vitest';
import { describeDown } from '../../src/session/down-reason.js';
import { notificationName } from '../../src/session/notify-names.js';
import { parseShutdownCommunication, shutdownCommunication } from '../../src/session/shutdown-communication.js';

const none = Buffer.alloc(0);

describe('describeDown', () => {
  it.each([
    [{ reason: 'hold-timer-expired' as const, notification: { direction: 'sent' as const, code: 4, subcode: 0, data: none } }, 'Hold timer expired'],
    [{ reason: 'notification-received' as const, notification: { direction: 'received' as const, code: 2, subcode: 2, data: none } }, 'Received: Bad peer AS'],
    [{ reason: 'open-rejected' as const, notification: { direction: 'sent' as const, code: 2, subcode: 7, data: none } }, 'Error: Unsupported capability'],
    [{ reason: 'fsm-error' as const, notification: { direction: 'sent' as const, code: 5, subcode: 3, data: none } }, 'Error: Unexpected message in Established state'],
    [{ reason: 'connection-failed' as const, error: 'ECONNREFUSED' }, 'Connection refused'],
    [{ reason: 'connection-failed' as const, error: 'Connection refused' }, 'Connection refused'],
    [{ reason: 'connection-closed' as const }, 'Connection closed'],
    [{ reason: 'admin-stop' as const }, 'Shutdown'],
    [{ reason: 'peer-restarted' as const }, 'Peer restarted (graceful restart)'],
    [{ reason: 'collision' as const }, 'Connection collision'],
  ])('%j → %s', (info, text) => {
    expect(describeDown(info)).toBe(text);
  });

  it('shows an RFC 9003 shutdown message', () => {
    const n = { direction: 'received' as const, code: 6, subcode: 2, data: shutdownCommunication('upgrade to 2.1') };
    expect(describeDown({ reason: 'notification-received', notification: n })).toBe('Received: Administrative shutdown "upgrade to 2.1"');
  });
});

describe('notificationName', () => {
  it('names known subcodes, falls back to the code, and never fails', () => {
    expect(notificationName(6, 7)).toBe('Connection collision resolution');
    expect(notificationName(4, 0)).toBe('Hold timer expired');
    expect(notificationName(6, 42)).toBe('Cease (42)');
    expect(notificationName(99, 1)).toBe('Unknown error 99/1');
  });
});

describe('RFC 9003 shutdown communication', () => {
  it('round-trips UTF-8 text with a length octet', () => {
    const data = shutdownCommunication('maintenance ✓');
    expect(data[0]).toBe(Buffer.byteLength('maintenance ✓'));
    expect(parseShutdownCommunication(data)).toBe('maintenance ✓');
  });

  it('cuts long text to 255 octets at a character boundary', () => {
    const data = shutdownCommunication('é'.repeat(200)); // 400 octets
    expect(data[0]).toBe(254);
    expect(parseShutdownCommunication(data)).toBe('é'.repeat(127));
  });

  it('treats absent, truncated or invalid data as no message', () => {
    expect(parseShutdownCommunication(Buffer.alloc(0))).toBeNull();
    expect(parseShutdownCommunication(Buffer.from([5, 0x61]))).toBeNull();
    expect(parseShutdownCommunication(Buffer.from([1, 0xff]))).toBeNull();
  });
});
