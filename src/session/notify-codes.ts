// NOTIFICATION error codes and subcodes the session layer sends or interprets.
// IANA "BGP Error (Notification) Codes" and "BGP Error Subcodes" registries.
// Kept local to the session layer on purpose (the wire helpers define their own copy); the
// lead may dedupe these into src/wire/constants.ts.

/** RFC 4271 §4.5 */
export const NOTIF_MESSAGE_HEADER_ERROR = 1;
/** RFC 4271 §4.5 */
export const NOTIF_OPEN_MESSAGE_ERROR = 2;
/** RFC 4271 §4.5 */
export const NOTIF_UPDATE_MESSAGE_ERROR = 3;
/** RFC 4271 §4.5 */
export const NOTIF_HOLD_TIMER_EXPIRED = 4;
/** RFC 4271 §4.5, subcodes RFC 6608 */
export const NOTIF_FSM_ERROR = 5;
/** RFC 4271 §4.5, subcodes RFC 4486 */
export const NOTIF_CEASE = 6;
/** RFC 7313 §5 */
export const NOTIF_ROUTE_REFRESH_ERROR = 7;

/** OPEN Message Error subcodes, RFC 4271 §6.2, RFC 5492 §5 */
export const OPEN_UNSUPPORTED_VERSION = 1;
export const OPEN_BAD_PEER_AS = 2;
export const OPEN_BAD_BGP_ID = 3;
export const OPEN_UNSUPPORTED_OPTIONAL_PARAMETER = 4;
export const OPEN_UNACCEPTABLE_HOLD_TIME = 6;
export const OPEN_UNSUPPORTED_CAPABILITY = 7;

/** FSM Error subcodes, RFC 6608 §3 */
export const FSM_UNSPECIFIED = 0;
export const FSM_UNEXPECTED_IN_OPENSENT = 1;
export const FSM_UNEXPECTED_IN_OPENCONFIRM = 2;
export const FSM_UNEXPECTED_IN_ESTABLISHED = 3;

/** Cease subcodes, RFC 4486 §4 (and RFC 8538 §3 for Hard Reset) */
export const CEASE_MAX_PREFIXES = 1;
export const CEASE_ADMIN_SHUTDOWN = 2;
export const CEASE_PEER_DECONFIGURED = 3;
export const CEASE_ADMIN_RESET = 4;
export const CEASE_CONNECTION_REJECTED = 5;
export const CEASE_OTHER_CONFIG_CHANGE = 6;
export const CEASE_CONNECTION_COLLISION = 7;
export const CEASE_OUT_OF_RESOURCES = 8;
export const CEASE_HARD_RESET = 9;

/** The highest (and only) BGP version we speak, RFC 4271 §4.2. */
export const BGP_VERSION = 4;
/** RFC 6793 §9: the 2-octet placeholder for 4-octet ASNs. */
export const AS_TRANS = 23456;
