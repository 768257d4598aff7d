// Counting the benchmark's prefixes straight from UPDATE bytes, without decoding attributes.
// The benchmark prefixes are the /24s base, base+256, … (N of them); each is one slot of a
// bitmap, so a client "holds all N" when N slots are set. Layout walked (RFC 4271 §4.3):
//
// +-----------------------------------------------------+
// |   Withdrawn Routes Length (2 octets)                |
// +-----------------------------------------------------+
// |   Withdrawn Routes (variable): (len 1, prefix ...)* |
// +-----------------------------------------------------+
// |   Total Path Attribute Length (2 octets)            |
// +-----------------------------------------------------+
// |   Path Attributes (variable)                        |
// +-----------------------------------------------------+
// |   Network Layer Reachability Information (variable) |
// +-----------------------------------------------------+
//
// Only the attribute headers are walked, to find an MP_REACH_NLRI / MP_UNREACH_NLRI for
// IPv4 unicast (RFC 4760 §3, §4) in case a reflector chooses to send IPv4 that way.

const HEADER = 19;
const MP_REACH = 14;
const MP_UNREACH = 15;

export class PrefixCounter {
  /** How many distinct benchmark prefixes are currently held. */
  count = 0;
  /** Prefixes outside the benchmark's range (ignored, counted for diagnostics). */
  foreign = 0;
  private readonly held: Uint8Array;
  private readonly base24: number;

  constructor(readonly n: number, baseAddress: number) {
    this.held = new Uint8Array(n);
    this.base24 = baseAddress >>> 8;
  }

  /** Accounts one whole UPDATE message (header included). */
  update(msg: Buffer): void {
    const end = msg.length;
    let o = HEADER;
    const wEnd = o + 2 + ((msg[o]! << 8) | msg[o + 1]!);
    this.walk(msg, o + 2, wEnd, false);
    o = wEnd;
    const aEnd = o + 2 + ((msg[o]! << 8) | msg[o + 1]!);
    o += 2;
    while (o < aEnd) {
      const flags = msg[o]!;
      const code = msg[o + 1]!;
      const ext = (flags & 0x10) !== 0;
      const len = ext ? (msg[o + 2]! << 8) | msg[o + 3]! : msg[o + 2]!;
      const v = o + (ext ? 4 : 3);
      if ((code === MP_REACH || code === MP_UNREACH) && msg[v] === 0 && msg[v + 1] === 1 && msg[v + 2] === 1) {
        if (code === MP_UNREACH) this.walk(msg, v + 3, v + len, false);
        else {
          const nhLen = msg[v + 3]!;
          const nlri = v + 4 + nhLen + 1; // next hop, then one reserved octet
          this.walk(msg, nlri, v + len, true);
        }
      }
      o = v + len;
    }
    this.walk(msg, aEnd, end, true);
  }

  private walk(msg: Buffer, from: number, to: number, reach: boolean): void {
    let o = from;
    while (o < to) {
      const bits = msg[o]!;
      const octets = (bits + 7) >> 3;
      if (bits === 24) {
        const slot = ((msg[o + 1]! << 16) | (msg[o + 2]! << 8) | msg[o + 3]!) - this.base24;
        if (slot >= 0 && slot < this.n) {
          const had = this.held[slot]!;
          if (reach && had === 0) {
            this.held[slot] = 1;
            this.count++;
          } else if (!reach && had === 1) {
            this.held[slot] = 0;
            this.count--;
          }
        } else this.foreign++;
      } else this.foreign++;
      o += 1 + octets;
    }
  }

  reset(): void {
    this.held.fill(0);
    this.count = 0;
  }
}
