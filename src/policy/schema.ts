// The `policies:` section of the config file and the per-peer policy settings, validated with
// zod. Every error carries the path of the bad field (policies.NAME.terms[i].match...).
//
//   policies:
//     pods-in:
//       terms:
//         - match: { prefixes: [{ prefix: 10.244.0.0/16, ge: 26, le: 32 }], community: ["65000:100"] }
//           then: { setLocalPref: 200, addCommunities: [no-export], action: accept }
//       default: reject
import { z } from 'zod';
import { InvalidPrefixError, parsePrefix } from '../lib/prefix.js';
import { InvalidCommunityError, parseCommunity, parseLargeCommunity } from './community-text.js';

const u32 = z.number().int().min(0).max(4294967295);

export const policyName = z.string().min(1).max(64).regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, "_", "." and "-" only');

const community = z.string().superRefine((s, ctx) => {
  try {
    parseCommunity(s);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: e instanceof InvalidCommunityError ? e.message : String(e) });
  }
});

const largeCommunity = z.string().superRefine((s, ctx) => {
  try {
    parseLargeCommunity(s);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: e instanceof InvalidCommunityError ? e.message : String(e) });
  }
});

/** One prefix-list entry: exact match unless ge/le widen it to more-specifics. */
const prefixEntry = z
  .object({
    prefix: z.string(),
    ge: z.number().int().optional(),
    le: z.number().int().optional(),
  })
  .strict()
  .superRefine((e, ctx) => {
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
  });

const policyFamily = z.enum(['ipv4', 'ipv6', 'ipv4-unicast', 'ipv6-unicast']);

const match = z
  .object({
    /** any of these entries */
    prefixes: z.array(prefixEntry).min(1).optional(),
    /** any of these communities */
    community: z.array(community).min(1).optional(),
    /** any of these large communities */
    largeCommunity: z.array(largeCommunity).min(1).optional(),
    family: policyFamily.optional(),
  })
  .strict();

const then = z
  .object({
    /** absent: continue with the next term */
    action: z.enum(['accept', 'reject']).optional(),
    setLocalPref: u32.optional(),
    setMed: u32.optional(),
    addCommunities: z.array(community).optional(),
    removeCommunities: z.array(community).optional(),
    addLargeCommunities: z.array(largeCommunity).optional(),
    removeLargeCommunities: z.array(largeCommunity).optional(),
  })
  .strict();

const term = z
  .object({
    /** absent or empty: every route matches; all given conditions must hold */
    match: match.default({}),
    then,
  })
  .strict();

export const policySchema = z
  .object({
    terms: z.array(term).default([]),
    /** what happens to a route no terminating term decided */
    default: z.enum(['accept', 'reject']).default('accept'),
  })
  .strict();

export const policiesSchema = z.record(policyName, policySchema).default({});

/**
 * Per peer and family: what happens when the peer announces more prefixes than allowed.
 * 'stop' closes the session with Cease / Maximum Number of Prefixes Reached (RFC 4486 §4);
 * restartAfter (seconds) reconnects automatically, otherwise the peer stays down until the
 * configuration changes.
 */
export const maxPrefixesSchema = z
  .object({
    ipv4: z.number().int().min(1).optional(),
    ipv6: z.number().int().min(1).optional(),
    action: z.enum(['warn', 'stop']).default('stop'),
    restartAfter: z.number().int().min(1).max(86400).optional(),
  })
  .strict()
  .superRefine((m, ctx) => {
    if (m.ipv4 === undefined && m.ipv6 === undefined) ctx.addIssue({ code: 'custom', message: 'set ipv4, ipv6 or both' });
    if (m.restartAfter !== undefined && m.action !== 'stop') ctx.addIssue({ code: 'custom', path: ['restartAfter'], message: 'only with action: stop' });
  });

export type PolicyDef = z.output<typeof policySchema>;
export type PolicyTermDef = PolicyDef['terms'][number];
export type PrefixEntryDef = z.output<typeof prefixEntry>;
export type MaxPrefixesDef = z.output<typeof maxPrefixesSchema>;
