// Address ranges a pod pool must not touch: a pod given one of these addresses cannot work, or
// breaks the host. Calico refuses the link-local ranges; Wren refuses those and the rest below,
// since a pool of them (or a /0, which contains them) is always a typing mistake.

import { cidrsOverlap, formatCidr, parseCidr, type Cidr } from './cidr.js';
import { IpamInvalidPoolError } from './errors.js';

const RESERVED: ReadonlyArray<{ readonly cidr: Cidr; readonly what: string }> = [
  ['0.0.0.0/8', '"this network" (RFC 1122)'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', "link-local (pods' default gateway is 169.254.1.1)"],
  ['224.0.0.0/4', 'multicast'],
  ['255.255.255.255/32', 'limited broadcast'],
  ['::/128', 'the unspecified address'],
  ['::1/128', 'loopback'],
  ['::ffff:0:0/96', 'IPv4-mapped'],
  ['fe80::/10', 'link-local'],
  ['ff00::/8', 'multicast'],
].map(([text, what]) => ({ cidr: parseCidr(text!), what: what! }));

/** "overlaps RANGE, WHAT" for the first reserved range `pool` overlaps, else undefined. */
export function reservedOverlap(pool: Cidr): string | undefined {
  const r = RESERVED.find((x) => cidrsOverlap(x.cidr, pool));
  return r === undefined ? undefined : `overlaps ${formatCidr(r.cidr)}, ${r.what}`;
}

/** Throws IpamInvalidPoolError when `pool` overlaps a reserved range, naming the range. */
export function checkPoolRange(pool: Cidr): void {
  const why = reservedOverlap(pool);
  if (why !== undefined) throw new IpamInvalidPoolError(formatCidr(pool), why);
}
