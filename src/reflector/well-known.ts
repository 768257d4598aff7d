// Well-known communities that change how a route propagates, IANA "BGP Well-known Communities".

/** RFC 1997: not advertised outside the AS (no confederations here: not to any eBGP peer). */
export const NO_EXPORT = 0xffffff01;
/** RFC 1997: not advertised to any peer. */
export const NO_ADVERTISE = 0xffffff02;
/** RFC 1997: not advertised to external peers, confederation members included. */
export const NO_EXPORT_SUBCONFED = 0xffffff03;
/** RFC 3765: advisory, kept and passed on; named so policies can match it. */
export const NO_PEER = 0xffffff04;
/** RFC 8326 */
export const GRACEFUL_SHUTDOWN = 0xffff0000;
/** RFC 7999 */
export const BLACKHOLE = 0xffff029a;
