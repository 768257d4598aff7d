// The control socket's JSON protocol: one JSON object per line each way.
// Request: {"id": 1, "method": "status", "params": {...}}
// Reply:   {"id": 1, "result": ...} or {"id": 1, "error": {"code": "...", "message": "..."}}

export type PeerType = 'ibgp' | 'non-client' | 'ebgp' | 'rr-client';

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

export interface ApiMethods {
  status: { params: Record<string, never>; result: { daemon: DaemonInfo; peers: PeerStatus[] } };
  neighbors: { params: { address?: string }; result: NeighborDetail[] };
  routes: { params: { family?: 'ipv4' | 'ipv6'; peer?: string; prefix?: string; limit?: number }; result: RouteView[] };
}

export type ApiMethod = keyof ApiMethods;

export interface ApiErrorBody {
  code: string;
  message: string;
}

export const DEFAULT_CONTROL_SOCKET = '/run/wren/wren.sock';
