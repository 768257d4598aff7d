import { describe, expect, it } from 'vitest';
import { describeDown } from '../../src/session/down-reason.js';
import { encodeShutdownCommunication } from '../../src/wire/notification.js';

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
    const n = { direction: 'received' as const, code: 6, subcode: 2, data: encodeShutdownCommunication('upgrade to 2.1') };
    expect(describeDown({ reason: 'notification-received', notification: n })).toBe('Received: Administrative shutdown "upgrade to 2.1"');
  });

  it('adds nothing for an empty or malformed RFC 9003 shutdown message', () => {
    for (const data of [Buffer.alloc(0), encodeShutdownCommunication(''), Buffer.from([5, 0x61]), Buffer.from([1, 0xff])]) {
      const n = { direction: 'received' as const, code: 6, subcode: 4, data };
      expect(describeDown({ reason: 'notification-received', notification: n })).toBe('Received: Administrative reset');
    }
  });
});
