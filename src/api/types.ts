// The control socket's JSON protocol: one JSON object per line each way.
// Request: {"id": 1, "method": "status", "params": {...}}
// Reply:   {"id": 1, "result": ...} or {"id": 1, "error": {"code": "...", "message": "..."}}

/** The session's role; in cluster mode where the peer came from, as `calicoctl node status` says. */
export type PeerType = 'ibgp' | 'non-client' | 'ebgp' | 'rr-client' | 'node-to-node mesh' | 'route reflector' | 'global' | 'node specific';

export interface PeerStatus {
  name: string | null;
  address: string;
  asn: number;
  type: PeerType;
  state: 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established';
  /** ISO time of the last state change */
  since: string;
  /** "Established", or the last error ("Hold timer expired", "Received: Bad peer AS") */
  info: string;
  prefixesReceived: number;
  prefixesAdvertised: number;
}

export interface NotificationInfo {
  code: number;
  subcode: number;
  description: string;
  /** RFC 9003 shutdown communication, when present */
  message?: string;
  at: string;
}

export interface NeighborDetail extends PeerStatus {
  localAddress: string | null;
  localPort: number | null;
  remotePort: number | null;
  routerId: string | null;
  holdTimeConfigured: number;
  holdTime: number | null;
  keepaliveTime: number | null;
  uptimeSeconds: number | null;
  flaps: number;
  capabilities: {
    families: string[];
    as4: boolean;
    routeRefresh: boolean;
    enhancedRouteRefresh: boolean;
    extendedMessage: boolean;
    gracefulRestart: { restartTime: number; families: string[] } | null;
    addPath: { receive: string[]; send: string[] };
    hostname: string | null;
  } | null;
  messages: {
    received: Record<MessageKind, number>;
    sent: Record<MessageKind, number>;
  };
  lastNotificationSent: NotificationInfo | null;
  lastNotificationReceived: NotificationInfo | null;
}

export type MessageKind = 'open' | 'update' | 'notification' | 'keepalive' | 'route-refresh';

export interface RouteView {
  family: 'ipv4-unicast' | 'ipv6-unicast';
  prefix: string;
  /** 'local' for originated routes, else the peer address */
  from: string;
  /** the best path for the prefix */
  best: boolean;
  /** for the best path: the decision step that chose it (BestPathReason), else null */
  reason: string | null;
  /** in the ECMP set handed to the kernel */
  multipath: boolean;
  /** kept from a restarting peer (RFC 4724) */
  stale: boolean;
  nextHop: string | null;
  asPath: string;
  origin: 'igp' | 'egp' | 'incomplete' | null;
  med: number | null;
  localPref: number | null;
  communities: string[];
  largeCommunities: string[];
  extCommunities: string[];
  originatorId: string | null;
  clusterList: string[];
  atomicAggregate: boolean;
  aggregator: string | null;
}

export interface DaemonInfo {
  version: string;
  routerId: string;
  asn: number;
  pid: number;
  startedAt: string;
  configFile: string;
}

/** A pod wired into this host (`wren pod add`, the CNI plugin). */
export interface PodInfo {
  /** the pod (container) id given at creation; also the IPAM handle */
  id: string;
  /** path of the pod's network namespace */
  netns: string;
  /** interface name inside the pod (eth0) */
  ifname: string;
  /** host side of the veth pair (fixed prefix + hash of the id, at most 15 characters) */
  hostIfname: string;
  /** the pod's IPv4 address (no prefix length; it is a /32), or null */
  ipv4: string | null;
  /** the pod's IPv6 address (a /128), or null */
  ipv6: string | null;
  /** MAC address of the pod-side interface */
  mac: string;
  /** MAC address of the host-side interface */
  hostMac: string;
  createdAt: string;
}

export interface PodCheckResult {
  id: string;
  /** what differs from the recorded state; empty when the pod is wired as recorded */
  problems: string[];
}

export interface ApiMethods {
  status: { params: Record<string, never>; result: { daemon: DaemonInfo; peers: PeerStatus[] } };
  neighbors: { params: { address?: string }; result: NeighborDetail[] };
  routes: { params: { family?: 'ipv4' | 'ipv6'; peer?: string; prefix?: string; limit?: number }; result: RouteView[] };
  /** Wire a pod; an id that exists returns its current state with created=false. */
  podAdd: { params: { id: string; netns: string; ip?: string; ifname?: string }; result: PodInfo & { created: boolean } };
  /** Unwire a pod; an unknown id succeeds with deleted=false (idempotent, as CNI expects). */
  podDel: { params: { id: string }; result: { id: string; deleted: boolean } };
  podList: { params: Record<string, never>; result: PodInfo[] };
  /** error code 'unknown-pod' when there is no such pod */
  podGet: { params: { id: string }; result: PodInfo };
  /** Compare the kernel with the recorded pod; error 'unknown-pod' when there is no such pod. */
  podCheck: { params: { id: string }; result: PodCheckResult };
}

export type ApiMethod = keyof ApiMethods;

export interface ApiErrorBody {
  code: string;
  message: string;
}

export const DEFAULT_CONTROL_SOCKET = '/run/wren/wren.sock';
