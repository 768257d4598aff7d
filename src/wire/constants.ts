// Protocol numbers for the BGP wire codec. Every value names the RFC or IANA registry that
// defines it ("BGP Parameters" at https://www.iana.org/assignments/bgp-parameters unless noted).
// Plain `as const` objects (no const enum) so they survive isolatedModules and are printable.

/** BGP message types, IANA "BGP Message Types". */
export const MessageType = {
  /** RFC 4271 §4.2 */
  OPEN: 1,
  /** RFC 4271 §4.3 */
  UPDATE: 2,
  /** RFC 4271 §4.5 */
  NOTIFICATION: 3,
  /** RFC 4271 §4.4 */
  KEEPALIVE: 4,
  /** RFC 2918 §3, RFC 7313 §3.2 */
  ROUTE_REFRESH: 5,
} as const;
export type MessageTypeValue = (typeof MessageType)[keyof typeof MessageType];

/** RFC 4271 §4.1: 16-octet marker + 2-octet length + 1-octet type. */
export const HEADER_SIZE = 19;
/** RFC 4271 §4.1 */
export const MARKER_SIZE = 16;
/** RFC 4271 §4.1: maximum message size without RFC 8654. */
export const MAX_MESSAGE_SIZE = 4096;
/** RFC 8654 §2: maximum message size once the Extended Message capability is negotiated. */
export const MAX_EXTENDED_MESSAGE_SIZE = 65535;

/** RFC 4271 §4.2: the smallest OPEN (no optional parameters). */
export const MIN_OPEN_SIZE = 29;
/** RFC 4271 §4.3: the smallest UPDATE. */
export const MIN_UPDATE_SIZE = 23;
/** RFC 4271 §4.5: the smallest NOTIFICATION (no data). */
export const MIN_NOTIFICATION_SIZE = 21;
/** RFC 4271 §4.4: a KEEPALIVE is the header alone. */
export const KEEPALIVE_SIZE = 19;
/** RFC 2918 §3 / RFC 7313 §3.2: a ROUTE-REFRESH without ORF entries. */
export const ROUTE_REFRESH_SIZE = 23;

/** RFC 4271 §4.2 */
export const BGP_VERSION = 4;
/** RFC 6793 §9: the 2-octet AS placed in My Autonomous System by 4-octet speakers. */
export const AS_TRANS = 23456;

/** OPEN Optional Parameter types, IANA "BGP OPEN Optional Parameter Types". */
export const OptionalParameterType = {
  /** RFC 1771 Authentication Information; deprecated by RFC 4271 / RFC 5492 */
  AUTHENTICATION_DEPRECATED: 1,
  /** RFC 5492 §4 */
  CAPABILITIES: 2,
  /** RFC 9072 §2: marks the extended optional parameters length encoding */
  EXTENDED_LENGTH: 255,
} as const;

/** Capability codes, IANA "Capability Codes". */
export const CapabilityCode = {
  /** RFC 4760 §8 */
  MULTIPROTOCOL: 1,
  /** RFC 2918 §2 */
  ROUTE_REFRESH: 2,
  /** RFC 5291 */
  OUTBOUND_ROUTE_FILTERING: 3,
  /** RFC 8950 */
  EXTENDED_NEXT_HOP: 5,
  /** RFC 8654 §3 */
  EXTENDED_MESSAGE: 6,
  /** RFC 8205 */
  BGPSEC: 7,
  /** RFC 8277 */
  MULTIPLE_LABELS: 8,
  /** RFC 9234 */
  ROLE: 9,
  /** RFC 4724 §3 */
  GRACEFUL_RESTART: 64,
  /** RFC 6793 §3 */
  AS4: 65,
  /** RFC 7911 §4 */
  ADD_PATH: 69,
  /** RFC 7313 §3.1 */
  ENHANCED_ROUTE_REFRESH: 70,
  /** RFC 9494 */
  LONG_LIVED_GRACEFUL_RESTART: 71,
  /** draft-walton-bgp-hostname-capability */
  FQDN: 73,
  /** Cisco pre-standard route refresh (IANA: reserved for private use 128-255) */
  ROUTE_REFRESH_CISCO: 128,
} as const;

/** NOTIFICATION error codes, IANA "BGP Error (Notification) Codes". */
export const ErrorCode = {
  /** RFC 4271 §6.1 */
  MESSAGE_HEADER: 1,
  /** RFC 4271 §6.2 */
  OPEN_MESSAGE: 2,
  /** RFC 4271 §6.3 */
  UPDATE_MESSAGE: 3,
  /** RFC 4271 §6.5 */
  HOLD_TIMER_EXPIRED: 4,
  /** RFC 4271 §6.6, RFC 6608 */
  FSM: 5,
  /** RFC 4271 §6.7, RFC 4486 */
  CEASE: 6,
  /** RFC 7313 §5 */
  ROUTE_REFRESH_MESSAGE: 7,
  /** RFC 9687 */
  SEND_HOLD_TIMER_EXPIRED: 8,
} as const;

/** Message Header Error subcodes, IANA "Message Header Error subcodes" (RFC 4271 §6.1). */
export const MessageHeaderSubcode = {
  /** RFC 4271 Errata 4493 / IANA */
  UNSPECIFIC: 0,
  CONNECTION_NOT_SYNCHRONIZED: 1,
  BAD_MESSAGE_LENGTH: 2,
  BAD_MESSAGE_TYPE: 3,
} as const;

/** OPEN Message Error subcodes, IANA "OPEN Message Error subcodes" (RFC 4271 §6.2). */
export const OpenSubcode = {
  /** IANA: Unspecific (RFC 4271 Errata) */
  UNSPECIFIC: 0,
  UNSUPPORTED_VERSION_NUMBER: 1,
  BAD_PEER_AS: 2,
  BAD_BGP_IDENTIFIER: 3,
  UNSUPPORTED_OPTIONAL_PARAMETER: 4,
  /** RFC 1771 Authentication Failure; deprecated by RFC 4271 */
  AUTHENTICATION_FAILURE_DEPRECATED: 5,
  UNACCEPTABLE_HOLD_TIME: 6,
  /** RFC 5492 §5 */
  UNSUPPORTED_CAPABILITY: 7,
  /** IANA: deprecated (draft-ietf-idr-bgp-multisession) */
  DEPRECATED_8: 8,
  /** IANA: deprecated (draft-ietf-idr-bgp-multisession) */
  DEPRECATED_9: 9,
  /** IANA: deprecated (draft-ietf-idr-bgp-multisession) */
  DEPRECATED_10: 10,
  /** RFC 9234 §4.2 */
  ROLE_MISMATCH: 11,
} as const;

/** UPDATE Message Error subcodes, IANA "UPDATE Message Error subcodes" (RFC 4271 §6.3). */
export const UpdateSubcode = {
  /** IANA: Unspecific (RFC 4271 Errata) */
  UNSPECIFIC: 0,
  MALFORMED_ATTRIBUTE_LIST: 1,
  UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE: 2,
  MISSING_WELL_KNOWN_ATTRIBUTE: 3,
  ATTRIBUTE_FLAGS_ERROR: 4,
  ATTRIBUTE_LENGTH_ERROR: 5,
  INVALID_ORIGIN_ATTRIBUTE: 6,
  /** RFC 1771 AS Routing Loop; deprecated by RFC 4271 */
  AS_ROUTING_LOOP_DEPRECATED: 7,
  INVALID_NEXT_HOP_ATTRIBUTE: 8,
  OPTIONAL_ATTRIBUTE_ERROR: 9,
  INVALID_NETWORK_FIELD: 10,
  MALFORMED_AS_PATH: 11,
} as const;

/** Finite State Machine Error subcodes, IANA "BGP Finite State Machine Error Subcodes" (RFC 6608 §3). */
export const FsmSubcode = {
  UNSPECIFIED: 0,
  UNEXPECTED_MESSAGE_IN_OPENSENT: 1,
  UNEXPECTED_MESSAGE_IN_OPENCONFIRM: 2,
  UNEXPECTED_MESSAGE_IN_ESTABLISHED: 3,
} as const;

/** Cease subcodes, IANA "BGP Cease NOTIFICATION message subcodes". */
export const CeaseSubcode = {
  /** IANA: Reserved */
  RESERVED: 0,
  /** RFC 4486 §4 */
  MAXIMUM_PREFIXES_REACHED: 1,
  /** RFC 4486 §4; RFC 8203 / RFC 9003 shutdown communication in the data */
  ADMINISTRATIVE_SHUTDOWN: 2,
  /** RFC 4486 §4 */
  PEER_DECONFIGURED: 3,
  /** RFC 4486 §4; RFC 8203 / RFC 9003 shutdown communication in the data */
  ADMINISTRATIVE_RESET: 4,
  /** RFC 4486 §4 */
  CONNECTION_REJECTED: 5,
  /** RFC 4486 §4 */
  OTHER_CONFIGURATION_CHANGE: 6,
  /** RFC 4486 §4 */
  CONNECTION_COLLISION_RESOLUTION: 7,
  /** RFC 4486 §4 */
  OUT_OF_RESOURCES: 8,
  /** RFC 8538 §3 */
  HARD_RESET: 9,
  /** RFC 9384 */
  BFD_DOWN: 10,
} as const;

/** ROUTE-REFRESH Message Error subcodes, IANA "BGP ROUTE-REFRESH Message Error subcodes" (RFC 7313 §5). */
export const RouteRefreshErrorSubcode = {
  RESERVED: 0,
  INVALID_MESSAGE_LENGTH: 1,
} as const;

/** ROUTE-REFRESH message subtypes, IANA "Route Refresh Subcodes" (RFC 7313 §3.2). */
export const RouteRefreshSubtypeValue = {
  NORMAL: 0,
  /** Beginning of Route Refresh */
  BORR: 1,
  /** End of Route Refresh */
  EORR: 2,
} as const;

/** RFC 9003 §2: a Shutdown Communication holds at most 255 octets of UTF-8. */
export const MAX_SHUTDOWN_COMMUNICATION_OCTETS = 255;
