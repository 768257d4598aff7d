// Fakes for update-group and route-engine tests: members and peers that capture what is
// written, and a splitter that turns the captured bytes back into decoded UPDATEs with Wren's
// own decoder (so the tests assert what a peer would read, not internal state).
import { pino } from 'pino';
import { GROUP_BACKLOG_LIMIT, type GroupMember } from '../../src/speaker/update-group.js';
import type { EnginePeer } from '../../src/speaker/route-engine.js';
import type { NextHopSelf } from '../../src/speaker/local-addresses.js';
import type { PeerConfig, WrenConfig } from '../../src/config/schema.js';
import { parseConfig } from '../../src/config/load.js';
import { SpeakerMetrics } from '../../src/daemon/metrics.js';
import { decodeUpdate } from '../../src/wire/update-decode.js';
import { isEndOfRib } from '../../src/wire/end-of-rib.js';
import { ipv4ToNumber, parsePrefix4 } from '../../src/lib/prefix.js';
import type { CodecContext, Family, PathAttributes, UpdateMessage } from '../../src/wire/types.js';

export const ip = ipv4ToNumber;
export const p4 = parsePrefix4;

export const CTX: CodecContext = { as4: true, extendedMessage: false, addPathReceive: new Set(), addPathSend: new Set() };
export const CTX_EXT: CodecContext = { ...CTX, extendedMessage: true };

/** One wire message as a peer would read it. */
export interface Wire {
  /** octets on the wire, header included */
  size: number;
  /** Total Path Attribute Length field */
  attrLen: number;
  msg: UpdateMessage;
}

/** Splits concatenated BGP messages by the 2-octet length at offset 16 (RFC 4271 §4.1). */
export function splitMessages(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let o = 0;
  while (o < buf.length) {
    if (buf.length - o < 19) throw new Error(`truncated header at ${o}`);
    const len = buf.readUInt16BE(o + 16);
    if (len < 19 || o + len > buf.length) throw new Error(`bad length ${len} at ${o}`);
    if (buf[o + 18] !== 2) throw new Error(`not an UPDATE (type ${buf[o + 18]}) at ${o}`);
    out.push(buf.subarray(o, o + len));
    o += len;
  }
  return out;
}

export function decodeAll(buf: Buffer): Wire[] {
  return splitMessages(buf).map((m) => ({ size: m.length, attrLen: m.readUInt16BE(21 + m.readUInt16BE(19)), msg: decodeUpdate(m.subarray(19), CTX) }));
}

/** A group member that records every write; `backlog` is settable to simulate a slow socket. */
export class FakeMember implements GroupMember {
  backlog = 0;
  /** every write fills the socket past the group limit (a peer that reads slowly) */
  blockOnWrite = false;
  readonly writes: { buf: Buffer; count: number }[] = [];
  constructor(readonly sourceId: number) {}

  write(buf: Buffer, count: number): void {
    if (this.blockOnWrite) this.backlog = GROUP_BACKLOG_LIMIT + 1;
    // Copy: the group may reuse nothing, but a real socket would own the bytes from here on.
    this.writes.push({ buf: Buffer.from(buf), count });
  }

  /** Every message received so far, in order. */
  received(): Wire[] {
    const out: Wire[] = [];
    for (const w of this.writes) {
      const msgs = decodeAll(w.buf);
      if (msgs.length !== w.count) throw new Error(`write claimed ${w.count} messages, held ${msgs.length}`);
      out.push(...msgs);
    }
    return out;
  }

  clear(): void {
    this.writes.length = 0;
  }
}

/** What a peer saw, folded: announcements and withdrawals per prefix, End-of-RIB markers. */
export interface Seen {
  /** every announced prefix in order (duplicates kept) */
  announced: (number | string)[];
  withdrawn: (number | string)[];
  /** attributes of the last announcement of each prefix */
  attrs: Map<number | string, PathAttributes>;
  nextHop: Map<number | string, number | string>;
  endOfRib: Family[];
  messages: number;
}

export function fold(wires: Wire[]): Seen {
  const s: Seen = { announced: [], withdrawn: [], attrs: new Map(), nextHop: new Map(), endOfRib: [], messages: wires.length };
  for (const { msg } of wires) {
    const eor = isEndOfRib(msg);
    if (eor) {
      s.endOfRib.push(eor);
      continue;
    }
    s.withdrawn.push(...msg.withdrawn.prefixes);
    if (msg.mpUnreach) s.withdrawn.push(...msg.mpUnreach.prefixes);
    if (msg.attrs) {
      for (const p of msg.nlri.prefixes) {
        s.announced.push(p);
        s.attrs.set(p, msg.attrs);
        s.nextHop.set(p, msg.attrs.nextHop ?? -1);
      }
      if (msg.mpReach) {
        for (const p of msg.mpReach.nlri.prefixes) {
          s.announced.push(p);
          s.attrs.set(p, msg.attrs);
          s.nextHop.set(p, msg.mpReach.nextHop);
        }
      }
    }
  }
  return s;
}

/** `n` IPv4 /32 pod routes: 10.1.x.y/32. */
export function hosts4(n: number, base = '10.1.0.0'): number[] {
  const b = ip(base);
  return Array.from({ length: n }, (_, i) => (b + i) * 64 + 32);
}

/** `n` IPv6 /128 pod routes: fd00::x/128 (canonical text). */
export function hosts6(n: number, base = 'fd00::'): string[] {
  return Array.from({ length: n }, (_, i) => `${base}${(i + 1).toString(16)}/128`);
}

export function update(over: Partial<UpdateMessage> = {}): UpdateMessage {
  return {
    kind: 'update',
    withdrawn: { family: 'ipv4-unicast', prefixes: [] },
    attrs: null,
    nlri: { family: 'ipv4-unicast', prefixes: [] },
    treatAsWithdraw: false,
    attributeErrors: [],
    ...over,
  };
}

export function announce4(prefixes: number[], attrs: PathAttributes): UpdateMessage {
  return update({ attrs, nlri: { family: 'ipv4-unicast', prefixes } });
}

export function announce6(prefixes: string[], attrs: PathAttributes, nextHop: string): UpdateMessage {
  return update({ attrs, mpReach: { nlri: { family: 'ipv6-unicast', prefixes }, nextHop } });
}

export function withdraw4(prefixes: number[]): UpdateMessage {
  return update({ withdrawn: { family: 'ipv4-unicast', prefixes } });
}

export function endOfRib(family: Family): UpdateMessage {
  return family === 'ipv4-unicast' ? update() : update({ mpUnreach: { family: 'ipv6-unicast', prefixes: [] } });
}

// --- RouteEngine fakes ------------------------------------------------------------------------

export const silentLogger = pino({ level: 'silent' });
export const metrics = new SpeakerMetrics();

export function config(yaml: string): WrenConfig {
  return parseConfig(yaml, 'test.yaml');
}

export type PeerEvent = { kind: 'update'; wire: Wire } | { kind: 'marker'; family: Family; subtype: 1 | 2 };

/** One session as the engine sees it; everything written is kept as events in order. */
export class FakePeer implements EnginePeer {
  readonly label: string;
  member_: FakeMember | null = null;
  private drain: (() => void) | null = null;
  private markers: { at: number; family: Family; subtype: 1 | 2 }[] = [];
  enhanced = false;
  fams: Family[] = ['ipv4-unicast', 'ipv6-unicast'];
  stopped: Family[] = [];

  constructor(
    readonly peer: PeerConfig,
    readonly bgpId: number,
    readonly nextHops: NextHopSelf = { ipv4: ip('10.0.0.1'), ipv6: '2001:db8::1' },
  ) {
    this.label = peer.address;
  }

  families(): Family[] {
    return this.fams;
  }
  codecContext(): CodecContext {
    return CTX;
  }
  peerBgpId(): number {
    return this.bgpId;
  }
  localNextHops(): NextHopSelf {
    return this.nextHops;
  }
  member(sourceId: number): GroupMember {
    this.member_ = new FakeMember(sourceId);
    return this.member_;
  }
  enhancedRouteRefresh(): boolean {
    return this.enhanced;
  }
  sendRefreshMarker(family: Family, subtype: 1 | 2): void {
    this.markers.push({ at: this.member_?.writes.length ?? 0, family, subtype });
  }
  onDrain(fn: () => void): void {
    this.drain = fn;
  }
  stopForMaxPrefix(family: Family): void {
    this.stopped.push(family);
  }

  get backlog(): number {
    return this.member_?.backlog ?? 0;
  }
  set backlog(n: number) {
    if (this.member_) this.member_.backlog = n;
  }

  /** The socket drained: backlog back to zero and the engine told so. */
  drained(): void {
    this.backlog = 0;
    this.drain?.();
  }

  /** Messages and refresh markers in the order they went out. */
  events(): PeerEvent[] {
    const out: PeerEvent[] = [];
    const writes = this.member_?.writes ?? [];
    let m = 0;
    for (let i = 0; i <= writes.length; i++) {
      while (m < this.markers.length && this.markers[m]!.at === i) {
        const k = this.markers[m++]!;
        out.push({ kind: 'marker', family: k.family, subtype: k.subtype });
      }
      if (i < writes.length) for (const wire of decodeAll(writes[i]!.buf)) out.push({ kind: 'update', wire });
    }
    return out;
  }

  received(): Wire[] {
    return this.member_?.received() ?? [];
  }

  seen(): Seen {
    return fold(this.received());
  }

  clear(): void {
    this.member_?.clear();
    this.markers = [];
  }

  writeCount(): number {
    return this.member_?.writes.length ?? 0;
  }
}

/** One turn of the event loop: RouteEngine flushes from setImmediate. */
export const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Turns the loop until no peer receives anything for three turns in a row (bounded). */
export async function settle(peers: readonly FakePeer[], maxTurns = 200): Promise<void> {
  let last = -1;
  let quiet = 0;
  for (let i = 0; i < maxTurns; i++) {
    await tick();
    const n = peers.reduce((s, p) => s + p.writeCount(), 0);
    if (n === last) {
      if (++quiet >= 3) return;
    } else {
      quiet = 0;
      last = n;
    }
  }
  throw new Error(`peers still receiving after ${maxTurns} turns`);
}
