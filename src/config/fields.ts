// Field schemas shared by the daemon's config file and the cluster records in etcd, so a value
// valid in one place is valid in the other.
import { isIPv4, isIPv6 } from 'node:net';
import { z } from 'zod';

export const asn = z.number().int().min(1).max(4294967295);
export const ipv4 = z.string().refine((s) => isIPv4(s), { message: 'must be an IPv4 address' });
export const ipv6 = z.string().refine((s) => isIPv6(s), { message: 'must be an IPv6 address' });
export const ipAddress = z.string().refine((s) => isIPv4(s) || isIPv6(s), { message: 'must be an IPv4 or IPv6 address' });

export const holdTime = z
  .number()
  .int()
  .min(0)
  .max(65535)
  .refine((h) => h === 0 || h >= 3, { message: 'must be 0 or at least 3 (RFC 4271 §4.2)' });

const LABEL_KEY = /^([A-Za-z0-9][A-Za-z0-9.-]*\/)?[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/;
const labelValue = z
  .string()
  .max(63)
  .regex(/^([A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?)?$/, 'label values are letters, digits, ".", "_" and "-"');

/** Node labels, Kubernetes-style: `[prefix/]name` keys, short plain values. */
export const labels = z.record(z.string(), labelValue).superRefine((l, ctx) => {
  for (const k of Object.keys(l)) {
    if (k.length > 316 || !LABEL_KEY.test(k)) {
      ctx.addIssue({ code: 'custom', path: [k], message: 'label keys are [prefix/]name of letters, digits, ".", "_" and "-"' });
    }
  }
});
