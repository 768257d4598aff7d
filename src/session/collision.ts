// Connection collision resolution, RFC 4271 §6.8 with RFC 6286 §2.3 for equal identifiers.

export interface CollisionSides {
  localId: number;
  remoteId: number;
  localAs: number;
  remoteAs: number;
}

/**
 * Which connection survives a collision: the one the local speaker opened ('local', our
 * dial) or the one the remote speaker opened ('remote', the accepted one).
 *
 * RFC 4271 §6.8: the connection initiated by the speaker with the higher BGP Identifier (as
 * a u32) is kept. RFC 6286 §2.3: when the identifiers are equal (possible between ASes), the
 * connection initiated by the speaker with the larger AS number is kept.
 */
export function collisionWinner(s: CollisionSides): 'local' | 'remote' {
  const l = s.localId >>> 0;
  const r = s.remoteId >>> 0;
  if (l !== r) return l > r ? 'local' : 'remote';
  return s.localAs > s.remoteAs ? 'local' : 'remote';
}
