// Which RFC 4271 §8.1 event a received message or a decode failure is.
import type { WireError } from '../wire/errors.js';
import type { BgpMessage } from '../wire/types.js';
import type { FsmInput } from './fsm-types.js';
import { ErrorCode, OpenSubcode } from '../wire/constants.js';

/** Events 19 and 24–27, plus ROUTE-REFRESH (RFC 2918). */
export function eventOfMessage(m: BgpMessage): FsmInput {
  switch (m.kind) {
    case 'open':
      return { event: 'BGPOpen', message: m };
    case 'notification':
      // Event 24 is a version error; RFC 4271 §8.2.2 handles it like Event 25 without peer
      // oscillation damping so a speaker can retry with another version. We speak only
      // version 4, so the peer machine backs off as for any NOTIFICATION.
      return m.code === ErrorCode.OPEN_MESSAGE && m.subcode === OpenSubcode.UNSUPPORTED_VERSION_NUMBER
        ? { event: 'NotifMsgVerErr', message: m }
        : { event: 'NotifMsg', message: m };
    case 'keepalive':
      return { event: 'KeepAliveMsg' };
    case 'update':
      return { event: 'UpdateMsg', message: m };
    case 'route-refresh':
      return { event: 'RouteRefreshMsg', message: m };
  }
}

/** Events 21, 22 and 28 by the decoder's error code, plus our BGPMsgErr and NotifMsgErr. */
export function eventOfDecodeError(error: WireError): FsmInput {
  switch (error.code) {
    case 'bad-marker':
    case 'bad-length':
    case 'bad-type':
      return { event: 'BGPHeaderErr', error };
    case 'open-malformed':
    case 'open-bad-capability':
      return { event: 'BGPOpenMsgErr', error };
    case 'update-malformed':
    case 'attribute-malformed':
      return { event: 'UpdateMsgErr', error };
    case 'notification-malformed':
      return { event: 'NotifMsgErr', error };
    case 'route-refresh-malformed':
    case 'keepalive-malformed':
    case 'encode-too-large':
    case 'encode-invalid':
      return { event: 'BGPMsgErr', error };
  }
}
