// Field schemas shared by the daemon's config file and the cluster records in etcd, so a value
// valid in one place is valid in the other.
import { isIPv4, isIPv6 } from 'node:net';
import * as z from './zod.js';

/** An integer in [min, max] (range errors are zod's own messages). */
export const intRange = (min: number, max: number): z.ZodMiniNumber<number> => z.number().check(z.int(), z.minimum(min), z.maximum(max));

export const asn = intRange(1, 4294967295);
export const ipv4 = z.string().check(z.refine((s) => isIPv4(s), { message: 'must be an IPv4 address' }));
export const ipv6 = z.string().check(z.refine((s) => isIPv6(s), { message: 'must be an IPv6 address' }));
export const ipAddress = z.string().check(z.refine((s) => isIPv4(s) || isIPv6(s), { message: 'must be an IPv4 or IPv6 address' }));

export const holdTime = intRange(0, 65535).check(z.refine((h) => h === 0 || h >= 3, { message: 'must be 0 or at least 3 (RFC 4271 §4.2)' }));

const LABEL_KEY = /^([A-Za-z0-9][A-Za-z0-9.-]*\/)?[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/;
const labelValue = z
  .string()
  .check(z.maxLength(63), z.regex(/^([A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?)?$/, 'label values are letters, digits, ".", "_" and "-"'));

/** Node labels, Kubernetes-style: `[prefix/]name` keys, short plain values. */
export const labels = z.record(z.string(), labelValue).check(
  z.superRefine((l, ctx) => {
    for (const k of Object.keys(l)) {
      if (k.length > 316 || !LABEL_KEY.test(k)) {
        ctx.addIssue({ code: 'custom', path: [k], message: 'label keys are [prefix/]name of letters, digits, ".", "_" and "-"' });
      }
    }
  }),
);
