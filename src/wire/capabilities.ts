// Capabilities inside the OPEN Capabilities optional parameter, RFC 5492 §4:
//
// +------------------------------+
// | Capability Code (1 octet)    |
// +------------------------------+
// | Capability Length (1 octet)  |
// +------------------------------+
// | Capability Value (variable)  |
// ~                              ~
// +------------------------------+
//
// Values decoded here:
//   multiprotocol (1, RFC 4760 §8)        AFI(2) Reserved(1) SAFI(1)
//   route-refresh (2, RFC 2918 §2; 128)   empty
//   extended-message (6, RFC 8654 §3)     empty
//   graceful-restart (64, RFC 4724 §3)    R|N|rsvd(4 bits) Restart Time(12 bits),
//                                         then per family AFI(2) SAFI(1) Flags(1, F = 0x80)
//   as4 (65, RFC 6793 §3)                 4-octet AS
//   add-path (69, RFC 7911 §4)            per family AFI(2) SAFI(1) Send/Receive(1)
//   enhanced-route-refresh (70, RFC 7313) empty
//   fqdn (73, draft-walton)               Hostname Len(1) Hostname Domain Len(1) Domain
//
// Errors: RFC 5492 defines no error for a capability whose length contradicts its own RFC.
// Wren answers OPEN Message Error / Unspecific (subcode 0), as BIRD does, with the offending
// capability (code, length, value) as data for diagnosis. Two tolerances the RFCs allow:
// - add-path with a Send/Receive value outside 1..3: RFC 7911 §4 says the capability SHOULD be
//   treated as not understood, so it is kept as 'unknown';
// - fqdn is informational; anything malformed in it is kept as 'unknown', never an error.

import { CapabilityCode, ErrorCode, OpenSubcode } from './constants.js';
import { checkUint, encodeInvalid } from './encode-errors.js';
import { WireError } from './errors.js';
import type { Capability } from './types.js';

const GR_RESTARTING = 0x8000;
const GR_NOTIFICATION = 0x4000;
const GR_TIME_MASK = 0x0fff;
const GR_FORWARDING_PRESERVED = 0x80;

function openUnspecific(data: Buffer, why: string): WireError {
  return new WireError('open-bad-capability', ErrorCode.OPEN_MESSAGE, OpenSubcode.UNSPECIFIC, Buffer.from(data), why);
}

/** Decodes every capability in one Capabilities parameter value and appends them to `out`. */
export function decodeCapabilities(value: Buffer, out: Capability[]): void {
  let off = 0;
  while (off < value.length) {
    if (value.length - off < 2) {
      throw openUnspecific(value.subarray(off), 'capability header cut short by its optional parameter');
    }
    const code = value[off]!;
    const length = value[off + 1]!;
    const end = off + 2 + length;
    if (end > value.length) {
      throw openUnspecific(value.subarray(off), `capability ${code} length ${length} runs past its optional parameter`);
    }
    out.push(decodeCapability(code, value.subarray(off + 2, end), value.subarray(off, end)));
    off = end;
  }
}

function expectLength(tlv: Buffer, v: Buffer, ok: boolean, rule: string): void {
  if (!ok) throw openUnspecific(tlv, `capability ${tlv[0]} has length ${v.length}, ${rule}`);
}

/** `v` is the capability value, `tlv` the whole capability (for error data). */
function decodeCapability(code: number, v: Buffer, tlv: Buffer): Capability {
  switch (code) {
    case CapabilityCode.MULTIPROTOCOL:
      expectLength(tlv, v, v.length === 4, 'expected 4 (RFC 4760 §8)');
      // The reserved octet is ignored on receipt (RFC 4760 §8).
      return { kind: 'multiprotocol', afi: v.readUInt16BE(0), safi: v[3]! };
    case CapabilityCode.ROUTE_REFRESH:
    case CapabilityCode.ROUTE_REFRESH_CISCO:
      expectLength(tlv, v, v.length === 0, 'expected 0 (RFC 2918 §2)');
      return { kind: 'route-refresh' };
    case CapabilityCode.EXTENDED_MESSAGE:
      expectLength(tlv, v, v.length === 0, 'expected 0 (RFC 8654 §3)');
      return { kind: 'extended-message' };
    case CapabilityCode.ENHANCED_ROUTE_REFRESH:
      expectLength(tlv, v, v.length === 0, 'expected 0 (RFC 7313 §3.1)');
      return { kind: 'enhanced-route-refresh' };
    case CapabilityCode.AS4:
      expectLength(tlv, v, v.length === 4, 'expected 4 (RFC 6793 §3)');
      return { kind: 'as4', asn: v.readUInt32BE(0) };
    case CapabilityCode.GRACEFUL_RESTART:
      return decodeGracefulRestart(v, tlv);
    case CapabilityCode.ADD_PATH:
      return decodeAddPath(code, v, tlv);
    case CapabilityCode.FQDN:
      return decodeFqdn(code, v);
    default:
      return { kind: 'unknown', code, value: Buffer.from(v) };
  }
}

function decodeGracefulRestart(v: Buffer, tlv: Buffer): Capability {
  expectLength(tlv, v, v.length >= 2 && (v.length - 2) % 4 === 0, 'expected 2 + 4n (RFC 4724 §3)');
  const head = v.readUInt16BE(0);
  const families: { afi: number; safi: number; forwardingPreserved: boolean }[] = [];
  for (let off = 2; off < v.length; off += 4) {
    families.push({
      afi: v.readUInt16BE(off),
      safi: v[off + 2]!,
      forwardingPreserved: (v[off + 3]! & GR_FORWARDING_PRESERVED) !== 0,
    });
  }
  return {
    kind: 'graceful-restart',
    restarting: (head & GR_RESTARTING) !== 0,
    notification: (head & GR_NOTIFICATION) !== 0,
    restartTime: head & GR_TIME_MASK,
    families,
  };
}

function decodeAddPath(code: number, v: Buffer, tlv: Buffer): Capability {
  expectLength(tlv, v, v.length % 4 === 0, 'expected 4n (RFC 7911 §4)');
  const families: { afi: number; safi: number; sendReceive: 1 | 2 | 3 }[] = [];
  for (let off = 0; off < v.length; off += 4) {
    const sr = v[off + 3]!;
    if (sr !== 1 && sr !== 2 && sr !== 3) return { kind: 'unknown', code, value: Buffer.from(v) };
    families.push({ afi: v.readUInt16BE(off), safi: v[off + 2]!, sendReceive: sr });
  }
  return { kind: 'add-path', families };
}

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeFqdn(code: number, v: Buffer): Capability {
  const unknown: Capability = { kind: 'unknown', code, value: Buffer.from(v) };
  if (v.length < 2) return unknown;
  const hostLength = v[0]!;
  const domainAt = 1 + hostLength;
  if (domainAt >= v.length) return unknown;
  const domainLength = v[domainAt]!;
  // Trailing octets would not survive a re-encode, so they also make it 'unknown'.
  if (domainAt + 1 + domainLength !== v.length) return unknown;
  try {
    return {
      kind: 'fqdn',
      hostname: fatalUtf8.decode(v.subarray(1, domainAt)),
      domain: fatalUtf8.decode(v.subarray(domainAt + 1)),
    };
  } catch {
    return unknown;
  }
}

// ---------------------------------------------------------------------------------------------
// Encoding

/** Octets of the capability's value. Throws WireError 'encode-invalid' when it exceeds 255. */
export function capabilityValueLength(cap: Capability): number {
  let n: number;
  switch (cap.kind) {
    case 'multiprotocol':
    case 'as4':
      n = 4;
      break;
    case 'route-refresh':
    case 'extended-message':
    case 'enhanced-route-refresh':
      n = 0;
      break;
    case 'graceful-restart':
      n = 2 + 4 * cap.families.length;
      break;
    case 'add-path':
      n = 4 * cap.families.length;
      break;
    case 'fqdn': {
      const host = checkUint(Buffer.byteLength(cap.hostname, 'utf8'), 0xff, 'fqdn hostname octets');
      const domain = checkUint(Buffer.byteLength(cap.domain, 'utf8'), 0xff, 'fqdn domain octets');
      n = 2 + host + domain;
      break;
    }
    case 'unknown':
      n = cap.value.length;
      break;
  }
  return checkUint(n, 0xff, `capability ${cap.kind} value octets`);
}

/** Capability code of each kind we encode by name ('unknown' carries its own). */
const CODE_OF: Readonly<Record<Exclude<Capability['kind'], 'unknown'>, number>> = {
  multiprotocol: CapabilityCode.MULTIPROTOCOL,
  'route-refresh': CapabilityCode.ROUTE_REFRESH,
  'extended-message': CapabilityCode.EXTENDED_MESSAGE,
  'enhanced-route-refresh': CapabilityCode.ENHANCED_ROUTE_REFRESH,
  as4: CapabilityCode.AS4,
  'graceful-restart': CapabilityCode.GRACEFUL_RESTART,
  'add-path': CapabilityCode.ADD_PATH,
  fqdn: CapabilityCode.FQDN,
};

const codeOf = (cap: Capability): number => (cap.kind === 'unknown' ? checkUint(cap.code, 0xff, 'capability code') : CODE_OF[cap.kind]);

/**
 * Writes one capability as code, length, value at `off` (the buffer has room for 2 +
 * capabilityValueLength(cap) octets there); returns the offset after it. Throws WireError
 * 'encode-invalid' on bad values. Written in place: an OPEN has half a dozen capabilities, and
 * a buffer for each value and each TLV was most of the cost of encoding one.
 */
export function writeCapability(cap: Capability, buf: Buffer, off: number, valueLength: number): number {
  buf[off] = codeOf(cap);
  buf[off + 1] = valueLength;
  const v = off + 2;
  switch (cap.kind) {
    case 'multiprotocol':
      buf.writeUInt16BE(checkUint(cap.afi, 0xffff, 'multiprotocol AFI'), v);
      buf[v + 2] = 0;
      buf[v + 3] = checkUint(cap.safi, 0xff, 'multiprotocol SAFI');
      break;
    case 'route-refresh':
    case 'extended-message':
    case 'enhanced-route-refresh':
      break;
    case 'as4':
      buf.writeUInt32BE(checkUint(cap.asn, 0xffffffff, 'as4 ASN'), v);
      break;
    case 'graceful-restart': {
      const head =
        (cap.restarting ? GR_RESTARTING : 0) |
        (cap.notification ? GR_NOTIFICATION : 0) |
        checkUint(cap.restartTime, GR_TIME_MASK, 'graceful-restart restart time');
      buf.writeUInt16BE(head, v);
      let at = v + 2;
      for (const f of cap.families) {
        buf.writeUInt16BE(checkUint(f.afi, 0xffff, 'graceful-restart AFI'), at);
        buf[at + 2] = checkUint(f.safi, 0xff, 'graceful-restart SAFI');
        buf[at + 3] = f.forwardingPreserved ? GR_FORWARDING_PRESERVED : 0;
        at += 4;
      }
      break;
    }
    case 'add-path': {
      let at = v;
      for (const f of cap.families) {
        buf.writeUInt16BE(checkUint(f.afi, 0xffff, 'add-path AFI'), at);
        buf[at + 2] = checkUint(f.safi, 0xff, 'add-path SAFI');
        if (f.sendReceive < 1 || f.sendReceive > 3) throw encodeInvalid(`add-path send/receive ${f.sendReceive}`);
        buf[at + 3] = f.sendReceive;
        at += 4;
      }
      break;
    }
    case 'fqdn': {
      const host = buf.write(cap.hostname, v + 1, 'utf8');
      buf[v] = host;
      const domainAt = v + 1 + host;
      buf[domainAt] = buf.write(cap.domain, domainAt + 1, 'utf8');
      break;
    }
    case 'unknown':
      cap.value.copy(buf, v);
      break;
  }
  return v + valueLength;
}

/** One capability as code, length, value. Throws WireError 'encode-invalid' on bad values. */
export function encodeCapability(cap: Capability): Buffer {
  const n = capabilityValueLength(cap);
  const out = Buffer.allocUnsafe(2 + n);
  writeCapability(cap, out, 0, n);
  return out;
}
