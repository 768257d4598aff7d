// The timed parts of bench/pods.ts that happen inside one daemon's life: Wren pod adds through
// the control API with the route's arrival in the peer's kernel, and the rival — a /32 put into
// C's kernel, learned by BIRD and installed by the peer BIRD in D's kernel. All times are
// CLOCK_MONOTONIC milliseconds (process.hrtime), shared with the observer processes.

import { createRtNetlink, type RtNetlinkSocket } from 'netlink';
import { setTimeout as delay } from 'node:timers/promises';
import { callDaemon } from '../src/api/client.js';
import { inNetns } from '../src/kernel/netns.js';
import { waitFor } from '../test/harness/wait.js';
import { BIRD_POD_IF, BIRD_PREFIX_BASE, PROTO_STATIC, type PodNamespace } from './pods-lab.js';
import type { ChildEvent, JsonChild } from './rr-child.js';
import { monotonicMs } from './rr-speaker.js';

export interface Summary {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

/** Nearest-rank quantile of a sorted list: p99 of 200 samples is the 198th smallest. */
function rank(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

export function quantile(values: readonly number[], p: number): number | undefined {
  return values.length === 0 ? undefined : rank([...values].sort((x, y) => x - y), p);
}

export function summarize(values: readonly number[]): Summary | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((x, y) => x - y);
  return { n: s.length, p50: rank(s, 0.5), p99: rank(s, 0.99), max: s[s.length - 1]! };
}

/** Arrival times of /32s reported by an observer, from now on (and any already reported). */
export class RouteArrivals {
  readonly at = new Map<string, number>();
  overflows = 0;
  private readonly off: () => void;

  constructor(private readonly observer: JsonChild) {
    const take = (e: ChildEvent): void => {
      if (e.ev === 'route' && typeof e.dst === 'string' && typeof e.t === 'number' && !this.at.has(e.dst)) this.at.set(e.dst, e.t);
      else if (e.ev === 'overflow') this.overflows++;
    };
    for (const e of observer.events) take(e);
    this.off = observer.on(take);
  }

  /** Waits (bounded) until every address has arrived; returns how many are still missing. */
  async waitAll(dsts: readonly string[], timeoutMs: number): Promise<number> {
    const missing = (): number => dsts.filter((d) => !this.at.has(d)).length;
    await waitFor(() => missing() === 0 || !this.observer.running, { timeoutMs, intervalMs: 10, what: `${dsts.length} routes at ${this.observer.name}` }).catch(() => undefined);
    return missing();
  }

  close(): void {
    this.off();
  }
}

export interface WrenAddsResult {
  /** (a) request → reply as the client sees it, per pod, in order */
  requestMs: number[];
  /** monotonic time of each reply */
  replyAt: number[];
  /** (b) reply → /32 in B's kernel, for the pods whose route arrived there */
  replyToPeerMs: number[];
  /** the pod's /32 in A's kernel → in B's kernel: the like-for-like with BIRD's C → D */
  kernelToPeerMs: number[];
  /** routes that were in B before the client had the reply (negative (b)) */
  beforeReply: number;
  /** routes that never arrived in B (or never showed in A) within the deadline */
  missing: number;
  /** fewer adds than asked for: the budget ran out */
  stoppedEarly: boolean;
  /** a podGet round trip (no work) on the same socket path: the client/socket share of (a) */
  noopMs: number[];
  overflows: number;
}

export interface WrenAddsOptions {
  control: string;
  timed: readonly PodNamespace[];
  warmup: readonly PodNamespace[];
  /** observers of Wren's /32s in A's kernel (the pods' host routes) and in B's (learned) */
  observerA: JsonChild;
  observerB: JsonChild;
  noopCalls: number;
  /** stop adding once the timed adds have taken this long (a daemon gone slow must not hold the run for an hour); 0: never */
  budgetMs: number;
}

/**
 * Sequential pod adds on node A: each request is sent when the previous reply is in. The first
 * `warmup` adds are not timed (they let the daemon's code paths be compiled, as a node that has
 * been running for a while has them), but their routes must reach B before the timed ones start.
 */
export async function measureWrenAdds(o: WrenAddsOptions): Promise<WrenAddsResult> {
  const inA = new RouteArrivals(o.observerA);
  const inB = new RouteArrivals(o.observerB);
  try {
    const warmIps: string[] = [];
    for (const [i, ns] of o.warmup.entries()) warmIps.push(await addPod(o.control, `warm-${i}`, ns.path));
    if ((await inB.waitAll(warmIps, 15_000)) > 0) throw new Error(`warm-up pods never reached node B's kernel (${warmIps.join(', ')}); see the wren logs`);

    const requestMs: number[] = [];
    const replyAt: number[] = [];
    const ips: string[] = [];
    const start = monotonicMs();
    let stoppedEarly = false;
    for (const [i, ns] of o.timed.entries()) {
      if (o.budgetMs > 0 && monotonicMs() - start > o.budgetMs) {
        stoppedEarly = true;
        break;
      }
      const t0 = monotonicMs();
      const ip = await addPod(o.control, `bench-${i}`, ns.path);
      const t1 = monotonicMs();
      requestMs.push(t1 - t0);
      replyAt.push(t1);
      ips.push(ip);
    }
    const missing = Math.max(await inB.waitAll(ips, 10_000), await inA.waitAll(ips, 1000));
    const replyToPeerMs: number[] = [];
    const kernelToPeerMs: number[] = [];
    let beforeReply = 0;
    for (const [i, ip] of ips.entries()) {
      const b = inB.at.get(ip);
      const a = inA.at.get(ip);
      if (b === undefined) continue;
      const d = b - replyAt[i]!;
      if (d < 0) beforeReply++;
      replyToPeerMs.push(d);
      if (a !== undefined) kernelToPeerMs.push(b - a);
    }

    const noopMs: number[] = [];
    for (let i = 0; i < o.noopCalls; i++) {
      const t0 = monotonicMs();
      await callDaemon(o.control, 'podGet', { id: 'bench-0' }, 5000);
      noopMs.push(monotonicMs() - t0);
    }
    return { requestMs, replyAt, replyToPeerMs, kernelToPeerMs, beforeReply, missing, stoppedEarly, noopMs, overflows: inA.overflows + inB.overflows };
  } finally {
    inA.close();
    inB.close();
  }
}

async function addPod(control: string, id: string, netns: string): Promise<string> {
  const r = await callDaemon(control, 'podAdd', { id, netns }, 10_000);
  if (!r.created || r.ipv4 === null) throw new Error(`podAdd ${id}: expected a new pod with an IPv4 address, got ${JSON.stringify(r)}`);
  return r.ipv4;
}

export interface BirdResult {
  /** /32 in C's kernel (seen by C's observer) → in D's kernel */
  kernelToPeerMs: number[];
  /** the netlink ACK of the route add in C (as `ip route add` returning) → in D's kernel */
  ackToPeerMs: number[];
  missing: number;
  overflows: number;
}

export interface BirdOptions {
  /** /var/run/netns path of C, where the /32s are added */
  cNetns: string;
  /** observers of the /32s in C's kernel (proto static) and in D's (proto bird) */
  observerC: JsonChild;
  observerD: JsonChild;
  /** gaps (ms) before each timed route after the first: Wren's gaps between replies */
  gaps: readonly number[];
  warmup: number;
}

/** Longer gaps are shortened: by then both machines are idle again, and a slow daemon must not make the rival slow too. */
export const MAX_GAP_MS = 100;
const NLM_F_EXCL = 0x200;
const NLM_F_CREATE = 0x400;
const RT_TABLE_MAIN = 254;
const RT_SCOPE_LINK = 253;
const RTN_UNICAST = 1;

function birdPrefix(i: number): string {
  return `${BIRD_PREFIX_BASE[0]}.${BIRD_PREFIX_BASE[1]}.${(i >> 8) & 255}.${i & 255}`;
}

/**
 * The rival: `ip route add 10.245.X.Y/32 dev calibench0 proto static` in C, done as one netlink
 * request from this process (a socket opened inside C), as Felix adds a pod's route. Timed
 * twice: from the route's notification in C (an observer there, like the one in A for Wren) and
 * from the kernel's ACK (`ip route add` returning). The timed routes follow Wren's schedule (the
 * same gaps as Wren's replies, at most MAX_GAP_MS), so both see the same pace.
 */
export async function measureBird(o: BirdOptions): Promise<BirdResult> {
  const inC = new RouteArrivals(o.observerC);
  const inD = new RouteArrivals(o.observerD);
  const sock: RtNetlinkSocket = inNetns(o.cNetns, () => createRtNetlink());
  sock.socket.on('error', () => undefined);
  try {
    const [link] = await sock.getLink({}, { ifname: BIRD_POD_IF });
    const oif = link?.data.index;
    if (oif === undefined) throw new Error(`${BIRD_POD_IF} is missing in ${o.cNetns}`);
    const add = async (dst: string): Promise<number> => {
      await sock.newRoute(
        { family: 2, table: RT_TABLE_MAIN, protocol: PROTO_STATIC, scope: RT_SCOPE_LINK, type: RTN_UNICAST, dstLen: 32 },
        { dst: Buffer.from(dst.split('.').map(Number)), oif },
        { flags: NLM_F_CREATE | NLM_F_EXCL },
      );
      return monotonicMs();
    };

    const warm: string[] = [];
    for (let i = 0; i < o.warmup; i++) {
      warm.push(birdPrefix(1 + i));
      await add(warm[i]!);
      await delay(5);
    }
    if ((await inD.waitAll(warm, 15_000)) > 0) throw new Error(`warm-up routes never reached D's kernel (${warm.join(', ')}); see the BIRD logs`);

    const dsts: string[] = [];
    const addedAt: number[] = [];
    let due = monotonicMs();
    for (let i = 0; i <= o.gaps.length; i++) {
      if (i > 0) due += Math.min(o.gaps[i - 1]!, MAX_GAP_MS);
      const wait = due - monotonicMs();
      if (wait >= 1) await delay(wait);
      const dst = birdPrefix(1 + o.warmup + i);
      dsts.push(dst);
      addedAt.push(await add(dst));
    }
    const missing = Math.max(await inD.waitAll(dsts, 10_000), await inC.waitAll(dsts, 1000));
    const kernelToPeerMs: number[] = [];
    const ackToPeerMs: number[] = [];
    for (const [i, dst] of dsts.entries()) {
      const d = inD.at.get(dst);
      const c = inC.at.get(dst);
      if (d === undefined) continue;
      ackToPeerMs.push(d - addedAt[i]!);
      if (c !== undefined) kernelToPeerMs.push(d - c);
    }
    return { kernelToPeerMs, ackToPeerMs, missing, overflows: inC.overflows + inD.overflows };
  } finally {
    inC.close();
    inD.close();
    // Closed on a later turn: this may run inside the addon's read callback.
    setImmediate(() => sock.socket.close());
  }
}
