// Human names for NOTIFICATION codes, in the wording BIRD shows in `show protocols`
// ("Received: Bad peer AS"), so operators moving from BIRD read the same words.

const CODE_NAMES: Record<number, string> = {
  1: 'Message header error',
  2: 'OPEN message error',
  3: 'UPDATE message error',
  4: 'Hold timer expired',
  5: 'Finite state machine error',
  6: 'Cease',
  7: 'ROUTE-REFRESH message error',
};

const SUBCODE_NAMES: Record<number, Record<number, string>> = {
  // RFC 4271 §6.1
  1: { 1: 'Connection not synchronized', 2: 'Bad message length', 3: 'Bad message type' },
  // RFC 4271 §6.2, RFC 5492, RFC 9234
  2: {
    1: 'Unsupported version number',
    2: 'Bad peer AS',
    3: 'Bad BGP identifier',
    4: 'Unsupported optional parameter',
    6: 'Unacceptable hold time',
    7: 'Unsupported capability',
    11: 'Role mismatch',
  },
  // RFC 4271 §6.3
  3: {
    1: 'Malformed attribute list',
    2: 'Unrecognized well-known attribute',
    3: 'Missing mandatory attribute',
    4: 'Invalid attribute flags',
    5: 'Invalid attribute length',
    6: 'Invalid ORIGIN attribute',
    8: 'Invalid NEXT_HOP attribute',
    9: 'Optional attribute error',
    10: 'Invalid network field',
    11: 'Malformed AS_PATH',
  },
  // RFC 6608 §3
  5: {
    1: 'Unexpected message in OpenSent state',
    2: 'Unexpected message in OpenConfirm state',
    3: 'Unexpected message in Established state',
  },
  // RFC 4486 §4, RFC 8538 §3, RFC 9384
  6: {
    1: 'Maximum number of prefixes reached',
    2: 'Administrative shutdown',
    3: 'Peer de-configured',
    4: 'Administrative reset',
    5: 'Connection rejected',
    6: 'Configuration change',
    7: 'Connection collision resolution',
    8: 'Out of resources',
    9: 'Hard reset',
    10: 'BFD session down',
  },
  // RFC 7313 §5
  7: { 1: 'Invalid message length' },
};

/** The most specific name known for (code, subcode), e.g. "Bad peer AS" or "Cease (12)". */
export function notificationName(code: number, subcode: number): string {
  const sub = SUBCODE_NAMES[code]?.[subcode];
  if (sub !== undefined) return sub;
  const name = CODE_NAMES[code];
  if (name === undefined) return `Unknown error ${code}/${subcode}`;
  return subcode === 0 ? name : `${name} (${subcode})`;
}
