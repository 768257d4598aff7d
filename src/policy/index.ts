// Policy layer: per-peer import/export filters and the max-prefix guard. Pure.
export { compilePolicy, ACCEPT_ALL, type CompiledPolicy, type PolicyVerdict } from './compile.js';
export { PrefixList } from './prefix-list.js';
export { MaxPrefixGuard, type MaxPrefixLimit, type MaxPrefixVerdict } from './max-prefix.js';
export { InvalidCommunityError, WELL_KNOWN_COMMUNITIES, parseCommunity, parseLargeCommunity } from './community-text.js';
export { policySchema, policiesSchema, maxPrefixesSchema, policyName, type PolicyDef, type PolicyTermDef, type PrefixEntryDef, type MaxPrefixesDef } from './schema.js';
