// The ADD result (CNI 1.0 "Success"): the host veth, the pod interface in its sandbox, the
// pod's /32 (/128), and Calico-style routing: the default route goes via 169.254.1.1 (IPv4) or
// fe80::1 (IPv6), link-local gateways the host veth answers for.
import type { PodInfo } from '../api/types.js';
import type { CniDns } from './config.js';
import type { JsonObject } from './json.js';
import type { PrevResult } from './prev-result.js';
import { ipsCarryVersion, type CniVersion } from './version.js';

export const GATEWAY_V4 = '169.254.1.1';
export const GATEWAY_V6 = 'fe80::1';

/** A type alias, not an interface, so a result is also a plain JsonObject (a CHECK's prevResult). */
export type CniResult = {
  cniVersion: CniVersion;
  interfaces: JsonObject[];
  ips: JsonObject[];
  routes: JsonObject[];
  dns: CniDns | JsonObject;
};

export function addResult(version: CniVersion, pod: PodInfo, netns: string, dns: CniDns, prev: PrevResult | null): CniResult {
  const base = prev?.interfaces.length ?? 0;
  const podIndex = base + 1;
  const withVersion = ipsCarryVersion(version);
  const interfaces: JsonObject[] = [
    { name: pod.hostIfname, mac: pod.hostMac },
    { name: pod.ifname, mac: pod.mac, sandbox: netns },
  ];
  const ips: JsonObject[] = [];
  const routes: JsonObject[] = [];
  if (pod.ipv4 !== null) {
    ips.push({ ...(withVersion ? { version: '4' } : {}), address: `${pod.ipv4}/32`, gateway: GATEWAY_V4, interface: podIndex });
    routes.push({ dst: '0.0.0.0/0', gw: GATEWAY_V4 });
  }
  if (pod.ipv6 !== null) {
    ips.push({ ...(withVersion ? { version: '6' } : {}), address: `${pod.ipv6}/128`, gateway: GATEWAY_V6, interface: podIndex });
    routes.push({ dst: '::/0', gw: GATEWAY_V6 });
  }
  // Chained after another plugin: pass its result through and add ours (CNI 1.0 "Chained
  // plugins"); its interface indexes stay valid because ours come after its interfaces.
  const prevDns = prev?.dns !== null && prev?.dns !== undefined && Object.keys(prev.dns).length > 0 ? prev.dns : null;
  return {
    cniVersion: version,
    interfaces: [...(prev?.interfaces ?? []), ...interfaces],
    ips: [...(prev?.ips ?? []), ...ips],
    routes: [...(prev?.routes ?? []), ...routes],
    dns: prevDns ?? dns,
  };
}
