// The `policies:` section of the config file and the per-peer policy settings, validated with
// zod. Every error carries the path of the bad field (policies.NAME.terms[i].match...).
//
//   policies:
//     pods-in:
//       terms:
//         - match: { prefixes: [{ prefix: 10.244.0.0/16, ge: 26, le: 32 }], community: ["65000:100"] }
//           then: { setLocalPref: 200, addCommunities: [no-export], action: accept }
//       default: reject
import { InvalidPrefixError, parsePrefix } from '../lib/prefix.js';
import * as z from '../config/zod.js';
import { InvalidCommunityError, parseCommunity, parseLargeCommunity } from './community-text.js';

const u32 = z.number().check(z.int(), z.minimum(0), z.maximum(4294967295));
const integer = z.number().check(z.int());
const positive = z.number().check(z.int(), z.minimum(1));

export const policyName = z.string().check(z.minLength(1), z.maxLength(64), z.regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, "_", "." and "-" only'));

const community = z.string().check(
  z.superRefine((s, ctx) => {
    try {
      parseCommunity(s);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: e instanceof InvalidCommunityError ? e.message : String(e) });
    }
  }),
);

const largeCommunity = z.string().check(
  z.superRefine((s, ctx) => {
    try {
      parseLargeCommunity(s);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: e instanceof InvalidCommunityError ? e.message : String(e) });
    }
  }),
);

/** One prefix-list entry: exact match unless ge/le widen it to more-specifics. */
const prefixEntry = z
  .strictObject({
    prefix: z.string(),
    ge: z.optional(integer),
    le: z.optional(integer),
  })
  .check(
    z.superRefine((e, ctx) => {
      let len: number;
      let max: number;
      try {
        const p = parsePrefix(e.prefix);
        max = p.family === 'ipv4-unicast' ? 32 : 128;
        len = Number(e.prefix.slice(e.prefix.indexOf('/') + 1));
      } catch (err) {
        ctx.addIssue({ code: 'custom', path: ['prefix'], message: err instanceof InvalidPrefixError ? err.why : String(err) });
        return;
      }
      // len ≤ ge ≤ le ≤ max (the Cisco/FRR prefix-list rule)
      if (e.ge !== undefined && (e.ge < len || e.ge > max)) {
        ctx.addIssue({ code: 'custom', path: ['ge'], message: `must be between the prefix length ${len} and ${max}` });
      }
      if (e.le !== undefined && (e.le < (e.ge ?? len) || e.le > max)) {
        ctx.addIssue({ code: 'custom', path: ['le'], message: `must be between ${e.ge !== undefined ? `ge ${e.ge}` : `the prefix length ${len}`} and ${max}` });
      }
    }),
  );

const policyFamily = z.enum(['ipv4', 'ipv6', 'ipv4-unicast', 'ipv6-unicast']);

const match = z.strictObject({
  /** any of these entries */
  prefixes: z.optional(z.array(prefixEntry).check(z.minLength(1))),
  /** any of these communities */
  community: z.optional(z.array(community).check(z.minLength(1))),
  /** any of these large communities */
  largeCommunity: z.optional(z.array(largeCommunity).check(z.minLength(1))),
  family: z.optional(policyFamily),
});

const then = z.strictObject({
  /** absent: continue with the next term */
  action: z.optional(z.enum(['accept', 'reject'])),
  setLocalPref: z.optional(u32),
  setMed: z.optional(u32),
  addCommunities: z.optional(z.array(community)),
  removeCommunities: z.optional(z.array(community)),
  addLargeCommunities: z.optional(z.array(largeCommunity)),
  removeLargeCommunities: z.optional(z.array(largeCommunity)),
});

const term = z.strictObject({
  /** absent or empty: every route matches; all given conditions must hold */
  match: z._default(match, {}),
  then,
});

export const policySchema = z.strictObject({
  terms: z._default(z.array(term), []),
  /** what happens to a route no terminating term decided */
  default: z._default(z.enum(['accept', 'reject']), 'accept'),
});

export const policiesSchema = z._default(z.record(policyName, policySchema), {});

/**
 * Per peer and family: what happens when the peer announces more prefixes than allowed.
 * 'stop' closes the session with Cease / Maximum Number of Prefixes Reached (RFC 4486 §4);
 * restartAfter (seconds) reconnects automatically, otherwise the peer stays down until the
 * configuration changes.
 */
export const maxPrefixesSchema = z
  .strictObject({
    ipv4: z.optional(positive),
    ipv6: z.optional(positive),
    action: z._default(z.enum(['warn', 'stop']), 'stop'),
    restartAfter: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(86400))),
  })
  .check(
    z.superRefine((m, ctx) => {
      if (m.ipv4 === undefined && m.ipv6 === undefined) ctx.addIssue({ code: 'custom', message: 'set ipv4, ipv6 or both' });
      if (m.restartAfter !== undefined && m.action !== 'stop') ctx.addIssue({ code: 'custom', path: ['restartAfter'], message: 'only with action: stop' });
    }),
  );

export type PolicyDef = z.output<typeof policySchema>;
export type PolicyTermDef = PolicyDef['terms'][number];
export type PrefixEntryDef = z.output<typeof prefixEntry>;
export type MaxPrefixesDef = z.output<typeof maxPrefixesSchema>;
