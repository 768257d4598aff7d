// Reflector layer: RFC 4271 / RFC 4456 propagation rules and receive-side loop checks. Pure.
export { exportPath, DEFAULT_LOCAL_PREF, type ExportResult, type SkipReason } from './export.js';
export { ExportCache } from './export-cache.js';
export { exportSignature, type ExportTarget, type LocalNextHops } from './export-target.js';
export { importCheck, sanitizeFromEbgp, type ImportCheckResult, type ImportLocal, type LoopReason } from './import.js';
export { countAs, prependAs, MAX_SEGMENT_ASNS } from './as-path-ops.js';
export * from './well-known.js';
export { copyAttrs, type OptionalAttr } from './attrs-copy.js';
