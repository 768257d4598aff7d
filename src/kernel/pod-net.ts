// The kernel steps of wiring a pod, as a port: the real one is netlink (pod-netlink.ts); tests
// wrap it to inject failures at any step. Every step names itself in errors (PodStepError).

export interface PodVethSpec {
  /** host side name (fixed prefix + hash of the pod id) */
  hostIfname: string;
  /** pod side name inside the pod (eth0) */
  ifname: string;
  /** path of the pod's network namespace */
  netns: string;
}

export interface PodLinkInfo {
  ifindex: number;
  mac: string;
  up: boolean;
}

export interface PodSideState extends PodLinkInfo {
  /** addresses on the pod interface, "a.b.c.d/32", "fd00::5/128" (link-local ones left out) */
  addresses: string[];
  /** the default route via 169.254.1.1 is present */
  defaultRoute: boolean;
  /** the IPv6 default route via fe80::1 is present */
  defaultRoute6: boolean;
}

/** The pod's addresses: at least one family. */
export interface PodAddresses {
  ipv4: string | null;
  ipv6: string | null;
}

export interface HostSysctls {
  proxyArp: boolean;
  forwarding: boolean;
  /** rp_filter value to set, or null to leave the kernel default */
  rpFilter: 0 | 1 | 2 | null;
}

/** What pod wiring needs from the kernel. */
export interface PodNetPort {
  /** Creates the veth pair with the pod end directly inside the pod's namespace. */
  createVeth(spec: PodVethSpec): Promise<PodLinkInfo>;
  /**
   * Pod side: link up, the /32, 169.254.1.1 scope link and the default route via it, and a
   * permanent neighbour entry for 169.254.1.1 with the host veth's MAC (so the pod does not
   * depend on proxy ARP, which answers only when the host itself has a route to 169.254.1.1).
   */
  configurePodSide(spec: PodVethSpec, addrs: PodAddresses, hostMac: string): Promise<PodLinkInfo>;
  /**
   * Host side: sysctls, link up, permanent neighbour entries for the pod's addresses, and with
   * IPv6 the link-local gateway address fe80::1 the pod routes through.
   */
  configureHostSide(hostIfname: string, ifindex: number, addrs: PodAddresses, podMac: string, sysctls: HostSysctls): Promise<void>;
  /** Removes the veth pair (both ends); false when it did not exist. */
  deleteVeth(hostIfname: string): Promise<boolean>;
  /** The host side link, or null. */
  hostLink(hostIfname: string): Promise<PodLinkInfo | null>;
  /** The pod side as the kernel has it, or null when the netns or the interface is gone. */
  podSide(spec: PodVethSpec): Promise<PodSideState | null>;
  close(): void;
}

export type PodStep = 'netns' | 'veth' | 'pod-side' | 'host-side' | 'host-route' | 'cleanup';

/** A kernel step failed; the message names the step and the errno. */
export class PodStepError extends Error {
  override readonly name = 'PodStepError';
  constructor(
    readonly step: PodStep,
    /** errno name (EEXIST, ENODEV …) or a short code */
    readonly errno: string,
    detail: string,
  ) {
    super(`${step}: ${detail} (${errno})`);
  }
}

/** The link-local gateway every pod routes through (answered by proxy ARP on the host veth). */
export const POD_GATEWAY_V4 = '169.254.1.1';
/** The IPv6 gateway: a link-local address on every host veth. */
export const POD_GATEWAY_V6 = 'fe80::1';
