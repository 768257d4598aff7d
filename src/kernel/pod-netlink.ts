// PodNetPort over rtnetlink (the `netlink` package's typed sockets). Pod-side work uses a
// socket opened inside the pod's namespace (netns.ts); host-side work uses the daemon's own.
// Sysctls are files under /proc/sys (no `sysctl` binary).
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { createRtNetlink, type RtNetlinkSocket } from 'netlink';
import { inNetns, NetnsError } from './netns.js';
import { bytesToIpv6, ipv6ToBytes } from '../lib/prefix.js';
import { POD_GATEWAY_V4, POD_GATEWAY_V6, PodStepError, type PodAddresses, type HostSysctls, type PodLinkInfo, type PodNetPort, type PodSideState, type PodStep, type PodVethSpec } from './pod-net.js';

const AF_INET = 2;
const AF_INET6 = 10;
const NLM_F_REPLACE = 0x100;
const NLM_F_EXCL = 0x200;
const NLM_F_CREATE = 0x400;
const IFLA_IFNAME = 3;
const IFLA_INFO_KIND = 1;
const IFLA_INFO_DATA = 2;
const VETH_INFO_PEER = 1;
const IFLA_NET_NS_FD = 28;
const IFINFOMSG_LEN = 16;
const RT_TABLE_MAIN = 254;
const RTPROT_STATIC = 4;

/** One netlink attribute: 4-byte header, payload, padding to 4. */
function nlattr(type: number, payload: Buffer): Buffer {
  const len = 4 + payload.length;
  const out = Buffer.alloc((len + 3) & ~3);
  out.writeUInt16LE(len, 0);
  out.writeUInt16LE(type, 2);
  payload.copy(out, 4);
  return out;
}

function cstring(s: string): Buffer {
  return Buffer.from(`${s}\0`, 'utf8');
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n, 0);
  return b;
}

/** IFLA_LINKINFO payload: kind veth, peer named `peer` created in the namespace `nsFd`. */
function vethLinkInfo(peer: string, nsFd: number): Buffer {
  const peerMsg = Buffer.concat([Buffer.alloc(IFINFOMSG_LEN), nlattr(IFLA_IFNAME, cstring(peer)), nlattr(IFLA_NET_NS_FD, u32(nsFd))]);
  return Buffer.concat([nlattr(IFLA_INFO_KIND, cstring('veth')), nlattr(IFLA_INFO_DATA, nlattr(VETH_INFO_PEER, peerMsg))]);
}

function ipv4Bytes(addr: string): Buffer {
  return Buffer.from(addr.split('.').map(Number));
}

/** 4 or 16 address bytes as text. */
function addressText(b: Buffer): string {
  return b.length === 4 ? [...b].join('.') : bytesToIpv6(b);
}

function macText(b: Buffer | undefined): string {
  return b ? [...b].map((x) => x.toString(16).padStart(2, '0')).join(':') : '';
}

function macBytes(mac: string): Buffer {
  return Buffer.from(mac.split(':').map((h) => parseInt(h, 16)));
}

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

function openSocket(): RtNetlinkSocket {
  const s = createRtNetlink();
  // An unhandled 'error' from the native socket aborts the process (see netlink-adapter.ts).
  s.socket.on('error', () => undefined);
  return s;
}

async function linkByName(s: RtNetlinkSocket, name: string): Promise<PodLinkInfo | null> {
  try {
    const [m] = await s.getLink({}, { ifname: name });
    if (!m) return null;
    return { ifindex: m.data.index ?? 0, mac: macText(m.attrs.address), up: m.data.flags?.up === true };
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
      await this.host.newLink({}, { ifname: spec.hostIfname, linkinfo: vethLinkInfo(spec.ifname, nsFd) }, { flags: NLM_F_CREATE | NLM_F_EXCL });
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
    let s: RtNetlinkSocket;
    try {
      s = inNetns(spec.netns, openSocket);
    } catch (e) {
      fail('netns', `cannot enter ${spec.netns}`, e);
    }
    try {
      const link = await linkByName(s, spec.ifname);
      if (!link) throw new PodStepError('pod-side', 'ENODEV', `${spec.ifname} is missing in ${spec.netns}`);
      const index = link.ifindex;
      await s.setLink({ index, flags: { up: true }, change: { up: true } }).catch((e: unknown) => fail('pod-side', `cannot set ${spec.ifname} up`, e));
      if (addrs.ipv4 !== null) await this.podSide4(s, index, spec, addrs.ipv4, hostMac);
      if (addrs.ipv6 !== null) await this.podSide6(s, index, spec, addrs.ipv6, hostMac);
      return { ...link, up: true };
    } finally {
      s.socket.close();
    }
  }

  private async podSide4(s: RtNetlinkSocket, index: number, spec: PodVethSpec, ipv4: string, hostMac: string): Promise<void> {
    {
      await s
        .newAddress({ family: AF_INET, prefixlen: 32, index }, { local: ipv4Bytes(ipv4), address: ipv4Bytes(ipv4) }, { flags: NLM_F_CREATE | NLM_F_EXCL })
        .catch((e: unknown) => fail('pod-side', `cannot add ${ipv4}/32 to ${spec.ifname}`, e));
      const base = { family: AF_INET, table: RT_TABLE_MAIN, protocol: RTPROT_STATIC, type: 1 } as const;
      await s
        .newRoute({ ...base, dstLen: 32, scope: 253 }, { dst: ipv4Bytes(POD_GATEWAY_V4), oif: index }, { flags: NLM_F_CREATE | NLM_F_EXCL })
        .catch((e: unknown) => fail('pod-side', `cannot add route ${POD_GATEWAY_V4} dev ${spec.ifname}`, e));
      await s
        .newRoute({ ...base, dstLen: 0, scope: 0 }, { gateway: ipv4Bytes(POD_GATEWAY_V4), oif: index }, { flags: NLM_F_CREATE | NLM_F_EXCL })
        .catch((e: unknown) => fail('pod-side', `cannot add default route via ${POD_GATEWAY_V4}`, e));
      await s
        .newNeighbor({ family: AF_INET, ifindex: index, state: { permanent: true } }, { dst: ipv4Bytes(POD_GATEWAY_V4), lladdr: macBytes(hostMac) }, { flags: NLM_F_CREATE | NLM_F_REPLACE })
        .catch((e: unknown) => fail('pod-side', `cannot add neighbour ${POD_GATEWAY_V4} lladdr ${hostMac}`, e));
    }
  }

  /** The /128 (no duplicate address detection: the address is ours alone) and ::/0 via fe80::1. */
  private async podSide6(s: RtNetlinkSocket, index: number, spec: PodVethSpec, ipv6: string, hostMac: string): Promise<void> {
    const gw = ipv6ToBytes(POD_GATEWAY_V6);
    await s
      .newAddress({ family: AF_INET6, prefixlen: 128, index, flags: { nodad: true } }, { local: ipv6ToBytes(ipv6), address: ipv6ToBytes(ipv6), flags: { nodad: true } }, { flags: NLM_F_CREATE | NLM_F_EXCL })
      .catch((e: unknown) => fail('pod-side', `cannot add ${ipv6}/128 to ${spec.ifname}`, e));
    await s
      .newNeighbor({ family: AF_INET6, ifindex: index, state: { permanent: true } }, { dst: gw, lladdr: macBytes(hostMac) }, { flags: NLM_F_CREATE | NLM_F_REPLACE })
      .catch((e: unknown) => fail('pod-side', `cannot add neighbour ${POD_GATEWAY_V6} lladdr ${hostMac}`, e));
    await s
      .newRoute({ family: AF_INET6, table: RT_TABLE_MAIN, protocol: RTPROT_STATIC, type: 1, dstLen: 0, scope: 0 }, { gateway: gw, oif: index }, { flags: NLM_F_CREATE | NLM_F_EXCL })
      .catch((e: unknown) => fail('pod-side', `cannot add default route via ${POD_GATEWAY_V6}`, e));
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
    if (addrs.ipv6 !== null) {
      const gw = ipv6ToBytes(POD_GATEWAY_V6);
      await this.host
        .newAddress({ family: AF_INET6, prefixlen: 64, index: ifindex, flags: { nodad: true }, scope: 253 }, { local: gw, address: gw, flags: { nodad: true } }, { flags: NLM_F_CREATE | NLM_F_REPLACE })
        .catch((e: unknown) => fail('host-side', `cannot add ${POD_GATEWAY_V6}/64 to ${hostIfname}`, e));
    }
    await this.host.setLink({ index: ifindex, flags: { up: true }, change: { up: true } }).catch((e: unknown) => fail('host-side', `cannot set ${hostIfname} up`, e));
    if (addrs.ipv4 !== null) {
      await this.host
        .newNeighbor({ family: AF_INET, ifindex, state: { permanent: true } }, { dst: ipv4Bytes(addrs.ipv4), lladdr: macBytes(podMac) }, { flags: NLM_F_CREATE | NLM_F_REPLACE })
        .catch((e: unknown) => fail('host-side', `cannot add neighbour ${addrs.ipv4 ?? ''} lladdr ${podMac} dev ${hostIfname}`, e));
    }
    if (addrs.ipv6 !== null) {
      await this.host
        .newNeighbor({ family: AF_INET6, ifindex, state: { permanent: true } }, { dst: ipv6ToBytes(addrs.ipv6), lladdr: macBytes(podMac) }, { flags: NLM_F_CREATE | NLM_F_REPLACE })
        .catch((e: unknown) => fail('host-side', `cannot add neighbour ${addrs.ipv6 ?? ''} lladdr ${podMac} dev ${hostIfname}`, e));
    }
  }

  async deleteVeth(hostIfname: string): Promise<boolean> {
    try {
      const link = await linkByName(this.host, hostIfname);
      if (!link) return false;
      await this.host.delLink({ index: link.ifindex });
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
    let s: RtNetlinkSocket;
    try {
      s = inNetns(spec.netns, openSocket);
    } catch {
      return null;
    }
    try {
      const link = await linkByName(s, spec.ifname);
      if (!link) return null;
      const addrs = [...(await s.getAddresses({ family: AF_INET })), ...(await s.getAddresses({ family: AF_INET6 }))];
      const addresses = addrs
        .filter((a) => a.data.index === link.ifindex && (a.attrs.local ?? a.attrs.address))
        .map((a) => `${addressText(a.attrs.local ?? a.attrs.address!)}/${a.data.prefixlen ?? 0}`)
        .filter((a) => !a.startsWith('fe80:'));
      const routes = [...(await s.getRoutes({ family: AF_INET })), ...(await s.getRoutes({ family: AF_INET6 }))];
      const defaultVia = (gw: string): boolean =>
        routes.some((r) => r.data.dstLen === 0 && r.attrs.oif === link.ifindex && r.attrs.gateway !== undefined && addressText(r.attrs.gateway) === gw);
      return { ...link, addresses, defaultRoute: defaultVia(POD_GATEWAY_V4), defaultRoute6: defaultVia(POD_GATEWAY_V6) };
    } finally {
      s.socket.close();
    }
  }

  close(): void {
    this.host.socket.close();
  }
}
