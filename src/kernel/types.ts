// The kernel layer's vocabulary: what the RIB wants in the FIB, what a dump returned, and the
// port through which the FIB programmer reaches the kernel (the netlink adapter, or a fake).

/** One next hop of a kernel route. */
export interface KernelNextHop {
  /** IPv4 address as u32, or IPv6 address text; same family as the route's prefix. */
  gateway: number | string;
  /** Outgoing interface; unset lets the kernel resolve it from the gateway. */
  ifindex?: number;
  /** RTNH_F_ONLINK: the gateway is on the link even without a covering connected prefix. */
  onlink?: boolean;
}

/**
 * A route as Wren wants it in the kernel (and, from a dump, as the kernel has it).
 * One next hop is a plain route; more than one is an ECMP route (RTA_MULTIPATH).
 */
export interface DesiredRoute {
  /** IPv4: address*64+length (src/lib/prefix.ts); IPv6: canonical text "2001:db8::/32". */
  prefix: number | string;
  nextHops: KernelNextHop[];
  /** RTN_BLACKHOLE (then nextHops is empty). */
  blackhole?: boolean;
  /** A scope-link route straight to this interface, no gateway (a pod's veth; nextHops empty). */
  device?: number;
}

/** Map key of a route: the prefix itself (a number never equals an IPv6 text). */
export type RouteKey = number | string;

/**
 * One request to the kernel. `add` never replaces anything (NLM_F_EXCL: a route someone else
 * owns stays and we get EEXIST); `replace` is only used on a route the dump said is ours;
 * `delete` carries our protocol number, so it can only remove a Wren route.
 */
export type RouteOpKind = 'add' | 'replace' | 'delete';

export interface RouteOp {
  kind: RouteOpKind;
  route: DesiredRoute;
}

/** A request the kernel refused (or whose outcome is unknown: code 'ENOBUFS'). */
export interface RouteOpFailure {
  op: RouteOp;
  /** Positive errno (ENETUNREACH = 101 …); 0 when the failure is not an errno. */
  errno: number;
  /** Errno name: 'ENETUNREACH', 'EEXIST', 'ENODEV', 'ENOBUFS' … */
  code: string;
}

/** A route notification (RTM_NEWROUTE / RTM_DELROUTE) from the kernel, any protocol. */
export interface KernelRouteEvent {
  kind: 'new' | 'del';
  protocol: number;
  table: number;
  route: DesiredRoute;
}

/**
 * What rtm_type says about forwarding: 'unicast' forwards; a next hop behind any of the other
 * kinds is unreachable. 'other' (local, broadcast, multicast, anycast, nat) says nothing about
 * reaching a next hop and is ignored by next-hop resolution.
 */
export type ForeignRouteType = 'unicast' | 'blackhole' | 'unreachable' | 'prohibit' | 'throw' | 'other';

/** One next hop of a route that is not Wren's: a gateway, or (no gateway) a directly connected link. */
export interface ForeignHop {
  /** IPv4 address as u32, or IPv6 address text. */
  gateway?: number | string;
  ifindex?: number;
  onlink?: boolean;
}

/**
 * A route of another protocol in our table (connected, static, another daemon's), as next-hop
 * resolution sees it.
 */
export interface ForeignRoute {
  /** IPv4: address*64+length; IPv6: canonical "addr/len". */
  prefix: number | string;
  /** rtm_protocol (2 kernel, 3 boot, 4 static …). */
  protocol: number;
  type: ForeignRouteType;
  /** RTA_PRIORITY; 0 when absent. */
  metric: number;
  /** rtm_tos: routes for one ToS only (0: all traffic). */
  tos: number;
  /** Empty for blackholes and the like, and for routes through a nexthop object without details. */
  hops: ForeignHop[];
}

/**
 * A notification for a route that is not Wren's. `replace`: NLM_F_REPLACE (the route replaced
 * one with the same key); without it a new route with the same key adds next hops (IPv6 ECMP
 * siblings, NLM_F_APPEND).
 */
export interface ForeignRouteEvent {
  kind: 'new' | 'del';
  route: ForeignRoute;
  replace?: boolean;
}

/** A link or address notification, reduced to what next-hop resolution needs. */
export interface LinkEvent {
  kind: 'link-new' | 'link-del' | 'addr-new' | 'addr-del';
  ifindex: number;
  /** link-new only: IFF_UP is set. */
  up?: boolean;
}

/** Everything a dump found in our table: our routes, and (for next-hop resolution) the others. */
export interface TableDump {
  ours: DesiredRoute[];
  foreign: ForeignRoute[];
}

export interface KernelEventHandlers {
  /** A route in our table changed (any protocol: the caller filters). */
  onRoute(event: KernelRouteEvent): void;
  /** A route in our table with another protocol changed (decoded for next-hop resolution). */
  onForeignRoute?(event: ForeignRouteEvent): void;
  /** A link or address changed (detail of onLinkChange, which is called as well). */
  onLink?(event: LinkEvent): void;
  /**
   * Notifications were missed: lost to a full buffer ('overflow'), or not listened to during
   * a large burst of our own ops ('paused'). The caller must dump and reconcile.
   */
  onResync(reason: 'overflow' | 'paused'): void;
  /** A link or address changed: routes that failed (ENETUNREACH, ENODEV) may now succeed. */
  onLinkChange?(): void;
}

/** What the FIB programmer needs from the kernel; the netlink adapter implements it. */
export interface KernelRoutePort {
  /** Every IPv4 and IPv6 route in our table with our protocol number. */
  dump(): Promise<DesiredRoute[]>;
  /** One dump for both: our routes and every other route in our table (next-hop resolution). */
  dumpAll?(): Promise<TableDump>;
  /** Sends every op, pipelined; resolves once each is acknowledged, with the failures only. */
  apply(ops: readonly RouteOp[]): Promise<RouteOpFailure[]>;
  subscribe(handlers: KernelEventHandlers): void;
  /** Many routes are about to come: get ready to write them fast (the adapter's writer thread). */
  prepareForBurst?(): void;
  close(): void;
}
