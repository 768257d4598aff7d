// PodNetPort over rtnetlink: the `netlink` package's request/acknowledge socket (its netlink
// layer: sequence numbers, ACKs, errors, multi-part dumps) with our own message encoding
// (rtnl-pod-codec.ts). Pod-side work uses a socket opened inside the pod's namespace
// (netns.ts); host-side work uses the daemon's own. Sysctls are files under /proc/sys.
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { createNetlink, type NetlinkSocket } from 'netlink/dist/netlink.js';
import { inNetns, NetnsError } from './netns.js';
import { POD_GATEWAY_V4, POD_GATEWAY_V6, PodStepError, type HostSysctls, type PodAddresses, type PodLinkInfo, type PodNetPort, type PodSideState, type PodStep, type PodVethSpec } from './pod-net.js';
import * as c from './rtnl-pod-codec.js';

const NETLINK_ROUTE = 0;

/** "Request rejected: EEXIST" (the package's wording) → "EEXIST". */
function errnoOf(e: unknown): string {
  const m = /Request rejected: (\S+)/.exec(e instanceof Error ? e.message : String(e));
  if (m) return m[1]!;
  const code = (e as NodeJS.ErrnoException).code;
  return typeof code === 'string' ? code : 'EIO';
}

function fail(step: PodStep, what: string, e: unknown): never {
  if (e instanceof PodStepError) throw e;
  if (e instanceof NetnsError) throw new PodStepError('netns', e.code, e.message);
  throw new PodStepError(step, errnoOf(e), what);
}

function openSocket(): NetlinkSocket {
  const s = createNetlink(NETLINK_ROUTE);
  // An unhandled 'error' from the native socket aborts the process (see netlink-adapter.ts).
  s.on('error', () => undefined);
  s.socket.on('error', () => undefined);
  return s;
}

/** One request, acknowledged; the reply messages' bodies. */
async function ask(s: NetlinkSocket, type: number, body: Buffer, flags = 0): Promise<Buffer[]> {
  const [msgs] = await s.request(type, body, { flags });
  return msgs.filter((m) => m.type !== 2 && m.type !== 3).map((m) => m.data);
}

/** Runs a step's request, turning a refusal into a PodStepError naming the step. */
async function step(step: PodStep, what: string, run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (e) {
    fail(step, what, e);
  }
}

async function linkByName(s: NetlinkSocket, name: string): Promise<PodLinkInfo | null> {
  try {
    const [body] = await ask(s, c.RTM_GETLINK, c.getLinkByName(name));
    if (!body) return null;
    const l = c.parseLink(body);
    return { ifindex: l.index, mac: l.mac, up: l.up };
  } catch (e) {
    if (errnoOf(e) === 'ENODEV') return null;
    throw e;
  }
}

export class NetlinkPodNet implements PodNetPort {
  private readonly host = openSocket();

  async createVeth(spec: PodVethSpec): Promise<PodLinkInfo> {
    let nsFd: number;
    try {
      nsFd = openSync(spec.netns, 'r');
    } catch (e) {
      throw new PodStepError('netns', 'netns-missing', `network namespace ${spec.netns} cannot be opened (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    try {
      await ask(this.host, c.RTM_NEWLINK, c.newVeth(spec.hostIfname, spec.ifname, nsFd), c.NLM_F_CREATE | c.NLM_F_EXCL);
      const link = await linkByName(this.host, spec.hostIfname);
      if (!link) throw new PodStepError('veth', 'ENODEV', `${spec.hostIfname} vanished right after it was created`);
      return link;
    } catch (e) {
      fail('veth', `cannot create veth ${spec.hostIfname} with peer ${spec.ifname} in ${spec.netns}`, e);
    } finally {
      closeSync(nsFd);
    }
  }

  async configurePodSide(spec: PodVethSpec, addrs: PodAddresses, hostMac: string): Promise<PodLinkInfo> {
    let s: NetlinkSocket;
    try {
      s = inNetns(spec.netns, openSocket);
    } catch (e) {
      fail('netns', `cannot enter ${spec.netns}`, e);
    }
    const CREATE = c.NLM_F_CREATE | c.NLM_F_EXCL;
    const REPLACE = c.NLM_F_CREATE | c.NLM_F_REPLACE;
    try {
      const link = await linkByName(s, spec.ifname);
      if (!link) throw new PodStepError('pod-side', 'ENODEV', `${spec.ifname} is missing in ${spec.netns}`);
      const i = link.ifindex;
      await step('pod-side', `cannot set ${spec.ifname} up`, () => ask(s, c.RTM_SETLINK, c.linkUp(i)));
      if (addrs.ipv4 !== null) {
        const ip = addrs.ipv4;
        await step('pod-side', `cannot add ${ip}/32 to ${spec.ifname}`, () => ask(s, c.RTM_NEWADDR, c.newAddress(i, ip, 32), CREATE));
        // The gateway is answered by a permanent entry with the host veth's MAC, so the pod
        // does not depend on proxy ARP (which answers only when the host routes 169.254.1.1).
        await step('pod-side', `cannot add neighbour ${POD_GATEWAY_V4} lladdr ${hostMac}`, () => ask(s, c.RTM_NEWNEIGH, c.newNeighbour(i, POD_GATEWAY_V4, hostMac), REPLACE));
        await step('pod-side', `cannot add route ${POD_GATEWAY_V4} dev ${spec.ifname}`, () => ask(s, c.RTM_NEWROUTE, c.newRoute(c.AF_INET, POD_GATEWAY_V4, 32, i, null), CREATE));
        await step('pod-side', `cannot add default route via ${POD_GATEWAY_V4}`, () => ask(s, c.RTM_NEWROUTE, c.newRoute(c.AF_INET, null, 0, i, POD_GATEWAY_V4), CREATE));
      }
      if (addrs.ipv6 !== null) {
        const ip = addrs.ipv6;
        await step('pod-side', `cannot add ${ip}/128 to ${spec.ifname}`, () => ask(s, c.RTM_NEWADDR, c.newAddress(i, ip, 128), CREATE));
        await step('pod-side', `cannot add neighbour ${POD_GATEWAY_V6} lladdr ${hostMac}`, () => ask(s, c.RTM_NEWNEIGH, c.newNeighbour(i, POD_GATEWAY_V6, hostMac), REPLACE));
        await step('pod-side', `cannot add default route via ${POD_GATEWAY_V6}`, () => ask(s, c.RTM_NEWROUTE, c.newRoute(c.AF_INET6, null, 0, i, POD_GATEWAY_V6), CREATE));
      }
      return { ...link, up: true };
    } finally {
      s.close();
    }
  }

  async configureHostSide(hostIfname: string, ifindex: number, addrs: PodAddresses, podMac: string, sysctls: HostSysctls): Promise<void> {
    const conf = `/proc/sys/net/ipv4/conf/${hostIfname}`;
    const conf6 = `/proc/sys/net/ipv6/conf/${hostIfname}`;
    try {
      if (sysctls.proxyArp) writeFileSync(`${conf}/proxy_arp`, '1');
      if (sysctls.forwarding) writeFileSync(`${conf}/forwarding`, '1');
      if (sysctls.rpFilter !== null) writeFileSync(`${conf}/rp_filter`, String(sysctls.rpFilter));
      if (addrs.ipv6 !== null) {
        writeFileSync(`${conf6}/proxy_ndp`, '1');
        if (sysctls.forwarding) writeFileSync(`${conf6}/forwarding`, '1');
        writeFileSync(`${conf6}/accept_dad`, '0');
      }
    } catch (e) {
      fail('host-side', `cannot write sysctls under ${conf}`, e);
    }
    const REPLACE = c.NLM_F_CREATE | c.NLM_F_REPLACE;
    if (addrs.ipv6 !== null) {
      await step('host-side', `cannot add ${POD_GATEWAY_V6}/64 to ${hostIfname}`, () => ask(this.host, c.RTM_NEWADDR, c.newAddress(ifindex, POD_GATEWAY_V6, 64, c.RT_SCOPE_LINK), REPLACE));
    }
    await step('host-side', `cannot set ${hostIfname} up`, () => ask(this.host, c.RTM_SETLINK, c.linkUp(ifindex)));
    for (const ip of [addrs.ipv4, addrs.ipv6]) {
      if (ip === null) continue;
      await step('host-side', `cannot add neighbour ${ip} lladdr ${podMac} dev ${hostIfname}`, () => ask(this.host, c.RTM_NEWNEIGH, c.newNeighbour(ifindex, ip, podMac), REPLACE));
    }
  }

  async deleteVeth(hostIfname: string): Promise<boolean> {
    try {
      const link = await linkByName(this.host, hostIfname);
      if (!link) return false;
      await ask(this.host, c.RTM_DELLINK, c.linkIndex(link.ifindex));
      return true;
    } catch (e) {
      if (errnoOf(e) === 'ENODEV') return false;
      fail('cleanup', `cannot delete ${hostIfname}`, e);
    }
  }

  async hostLink(hostIfname: string): Promise<PodLinkInfo | null> {
    return linkByName(this.host, hostIfname);
  }

  async podSide(spec: PodVethSpec): Promise<PodSideState | null> {
    let s: NetlinkSocket;
    try {
      s = inNetns(spec.netns, openSocket);
    } catch {
      return null;
    }
    try {
      const link = await linkByName(s, spec.ifname);
      if (!link) return null;
      const addrBodies = [...(await ask(s, c.RTM_GETADDR, c.dumpFamily(c.AF_INET, 'addr'), c.NLM_F_DUMP)), ...(await ask(s, c.RTM_GETADDR, c.dumpFamily(c.AF_INET6, 'addr'), c.NLM_F_DUMP))];
      const addresses = addrBodies
        .map(c.parseAddr)
        .filter((a): a is c.AddrReply => a !== null && a.index === link.ifindex && !a.address.startsWith('fe80:'))
        .map((a) => `${a.address}/${a.prefixlen}`);
      const routes = [...(await ask(s, c.RTM_GETROUTE, c.dumpFamily(c.AF_INET, 'route'), c.NLM_F_DUMP)), ...(await ask(s, c.RTM_GETROUTE, c.dumpFamily(c.AF_INET6, 'route'), c.NLM_F_DUMP))].map(c.parseRoute);
      const defaultVia = (gw: string): boolean => routes.some((r) => r.dstLen === 0 && r.oif === link.ifindex && r.gateway === gw);
      return { ...link, addresses, defaultRoute: defaultVia(POD_GATEWAY_V4), defaultRoute6: defaultVia(POD_GATEWAY_V6) };
    } finally {
      s.close();
    }
  }

  close(): void {
    this.host.close();
  }
}
