// Numbers for path attributes: type codes, flags and AS_PATH segment types. Message-level
// numbers (header size, message types, error codes and subcodes, AS_TRANS) live in
// ../constants.ts.
//
//   Path attribute (RFC 4271 §4.3):
//    0                   1
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+---------------------+
//   |O|T|P|E|  0    | Attr. Type Code| Length (1 or 2 oct)| Value ...
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+---------------------+

/** Path attribute type codes, IANA "BGP Path Attributes". */
export const AttrCode = {
  /** RFC 4271 §5.1.1 */
  ORIGIN: 1,
  /** RFC 4271 §5.1.2 */
  AS_PATH: 2,
  /** RFC 4271 §5.1.3 */
  NEXT_HOP: 3,
  /** RFC 4271 §5.1.4 */
  MULTI_EXIT_DISC: 4,
  /** RFC 4271 §5.1.5 */
  LOCAL_PREF: 5,
  /** RFC 4271 §5.1.6 */
  ATOMIC_AGGREGATE: 6,
  /** RFC 4271 §5.1.7, RFC 6793 §3 */
  AGGREGATOR: 7,
  /** RFC 1997 */
  COMMUNITIES: 8,
  /** RFC 4456 §8 */
  ORIGINATOR_ID: 9,
  /** RFC 4456 §8 */
  CLUSTER_LIST: 10,
  /** RFC 4760 §3 */
  MP_REACH_NLRI: 14,
  /** RFC 4760 §4 */
  MP_UNREACH_NLRI: 15,
  /** RFC 4360 §2 */
  EXTENDED_COMMUNITIES: 16,
  /** RFC 6793 §3 */
  AS4_PATH: 17,
  /** RFC 6793 §3 */
  AS4_AGGREGATOR: 18,
  /** RFC 8092 §3 */
  LARGE_COMMUNITY: 32,
} as const;

/** Attribute Flags bits, RFC 4271 §4.3. */
export const AttrFlag = {
  OPTIONAL: 0x80,
  TRANSITIVE: 0x40,
  PARTIAL: 0x20,
  EXTENDED_LENGTH: 0x10,
} as const;

/** The Optional and Transitive bits together: what RFC 7606 §3.c checks. */
export const ATTR_FLAGS_OT_MASK = 0xc0;
/** Well-known attributes: Optional 0, Transitive 1 (RFC 4271 §5). */
export const FLAGS_WELL_KNOWN = AttrFlag.TRANSITIVE;
export const FLAGS_OPTIONAL_TRANSITIVE = AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE;
export const FLAGS_OPTIONAL_NON_TRANSITIVE = AttrFlag.OPTIONAL;

/** AS_PATH segment types, RFC 4271 §4.3 and RFC 5065 §3. */
export const SegmentType = {
  AS_SET: 1,
  AS_SEQUENCE: 2,
  AS_CONFED_SEQUENCE: 3,
  AS_CONFED_SET: 4,
} as const;
