// Policies compiled into matchers: terms run in order; a term whose conditions all hold applies
// its set actions and then accepts, rejects, or lets the next term continue; a route no term
// decided gets the policy's default. Attribute edits are cached by the identity of the input
// set, so an interned set always yields the same derived set (DESIGN.md: interning survives
// policy, and packing can keep grouping by identity).
import type { Family, LargeCommunity, PathAttributes } from '../wire/types.js';
import { copyAttrs, type OptionalAttr } from '../reflector/attrs-copy.js';
import { parseCommunity, parseLargeCommunity } from './community-text.js';
import { PrefixList } from './prefix-list.js';
import type { PolicyDef, PolicyTermDef } from './schema.js';

export interface PolicyVerdict {
  accept: boolean;
  /** the attributes after the set actions of matching terms (the input set when unchanged) */
  attrs: PathAttributes;
}

export interface CompiledPolicy {
  /** `prefix`: IPv4 address·64 + length, or canonical IPv6 prefix text */
  evaluate(family: Family, prefix: number | string, attrs: PathAttributes): PolicyVerdict;
}

type Edit = (attrs: PathAttributes) => PathAttributes;

interface CompiledTerm {
  family: Family | undefined;
  prefixes: PrefixList | undefined;
  communities: number[] | undefined;
  largeCommunities: LargeCommunity[] | undefined;
  action: 'accept' | 'reject' | undefined;
  edit: Edit | undefined;
}

function normalizeFamily(f: PolicyTermDef['match']['family']): Family | undefined {
  if (f === undefined) return undefined;
  return f === 'ipv4' || f === 'ipv4-unicast' ? 'ipv4-unicast' : 'ipv6-unicast';
}

function sameLarge(a: LargeCommunity, b: LargeCommunity): boolean {
  return a.global === b.global && a.local1 === b.local1 && a.local2 === b.local2;
}

function hasLarge(list: readonly LargeCommunity[] | undefined, c: LargeCommunity): boolean {
  return list !== undefined && list.some((x) => sameLarge(x, c));
}

/** The list after removing `remove` and appending missing `add`; undefined when unchanged. */
function editList<T>(list: readonly T[] | undefined, remove: readonly T[], add: readonly T[], same: (a: T, b: T) => boolean): T[] | undefined {
  const before = list ?? [];
  const has = (xs: readonly T[], x: T): boolean => xs.some((y) => same(x, y));
  const kept = remove.length > 0 ? before.filter((x) => !has(remove, x)) : before;
  const added: T[] = [];
  for (const x of add) if (!has(kept, x) && !has(added, x)) added.push(x);
  if (kept.length === before.length && added.length === 0) return undefined;
  return added.length > 0 ? [...kept, ...added] : kept.slice();
}

/** The set actions of one term as a function, memoized per input attribute object. */
function compileEdit(then: PolicyTermDef['then']): Edit | undefined {
  const setLocalPref = then.setLocalPref;
  const setMed = then.setMed;
  const add = then.addCommunities?.map(parseCommunity) ?? [];
  const remove = then.removeCommunities?.map(parseCommunity) ?? [];
  const addLarge = then.addLargeCommunities?.map(parseLargeCommunity) ?? [];
  const removeLarge = then.removeLargeCommunities?.map(parseLargeCommunity) ?? [];
  if (setLocalPref === undefined && setMed === undefined && add.length + remove.length + addLarge.length + removeLarge.length === 0) return undefined;

  const apply = (attrs: PathAttributes): PathAttributes => {
    const localPref = setLocalPref !== undefined && attrs.localPref !== setLocalPref ? setLocalPref : undefined;
    const med = setMed !== undefined && attrs.med !== setMed ? setMed : undefined;
    // removals first, so a term may replace a community by removing and adding it
    const communities = remove.length + add.length > 0 ? editList(attrs.communities, remove, add, (a, b) => a === b) : undefined;
    const large = removeLarge.length + addLarge.length > 0 ? editList(attrs.largeCommunities, removeLarge, addLarge, sameLarge) : undefined;
    if (localPref === undefined && med === undefined && communities === undefined && large === undefined) return attrs;
    const drop: OptionalAttr[] = [];
    if (communities !== undefined && communities.length === 0) drop.push('communities');
    if (large !== undefined && large.length === 0) drop.push('largeCommunities');
    const out = copyAttrs(attrs, drop);
    if (localPref !== undefined) out.localPref = localPref;
    if (med !== undefined) out.med = med;
    if (communities !== undefined && communities.length > 0) out.communities = communities;
    if (large !== undefined && large.length > 0) out.largeCommunities = large;
    return out;
  };

  // WeakMap: a withdrawn attribute set takes its derived set with it.
  const cache = new WeakMap<PathAttributes, PathAttributes>();
  return (attrs) => {
    let out = cache.get(attrs);
    if (out === undefined) {
      out = apply(attrs);
      cache.set(attrs, out);
    }
    return out;
  };
}

function compileTerm(t: PolicyTermDef): CompiledTerm {
  const m = t.match;
  return {
    family: normalizeFamily(m.family),
    prefixes: m.prefixes === undefined ? undefined : new PrefixList(m.prefixes),
    communities: m.community?.map(parseCommunity),
    largeCommunities: m.largeCommunity?.map(parseLargeCommunity),
    action: t.then.action,
    // a rejecting term's edits would be thrown away with the route
    edit: t.then.action === 'reject' ? undefined : compileEdit(t.then),
  };
}

function termMatches(t: CompiledTerm, family: Family, prefix: number | string, attrs: PathAttributes): boolean {
  if (t.family !== undefined && t.family !== family) return false;
  if (t.prefixes !== undefined) {
    const hit = typeof prefix === 'number' ? t.prefixes.matches4(prefix) : t.prefixes.matches6(prefix);
    if (!hit) return false;
  }
  if (t.communities !== undefined) {
    const have = attrs.communities;
    if (have === undefined || !t.communities.some((c) => have.includes(c))) return false;
  }
  if (t.largeCommunities !== undefined) {
    const have = attrs.largeCommunities;
    if (have === undefined || !t.largeCommunities.some((c) => hasLarge(have, c))) return false;
  }
  return true;
}

/**
 * Compiles a validated policy (see policySchema). Community and prefix texts are parsed here;
 * invalid ones throw InvalidCommunityError / InvalidPrefixError (the config schema rejects
 * them at load, so only hand-built definitions can hit that).
 */
export function compilePolicy(def: PolicyDef): CompiledPolicy {
  const terms = def.terms.map(compileTerm);
  const acceptByDefault = def.default === 'accept';
  return {
    evaluate(family, prefix, attrs) {
      let current = attrs;
      for (const t of terms) {
        if (!termMatches(t, family, prefix, current)) continue;
        if (t.action === 'reject') return { accept: false, attrs };
        if (t.edit !== undefined) current = t.edit(current);
        if (t.action === 'accept') return { accept: true, attrs: current };
      }
      return acceptByDefault ? { accept: true, attrs: current } : { accept: false, attrs };
    },
  };
}

/** The policy of a peer without importPolicy/exportPolicy: everything passes unchanged. */
export const ACCEPT_ALL: CompiledPolicy = { evaluate: (_family, _prefix, attrs) => ({ accept: true, attrs }) };
