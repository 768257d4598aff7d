// IPAM: pools split into node-affine blocks, allocation by compare-and-swap (DESIGN.md).

export * from './errors.js';
export * from './cidr.js';
export * from './block.js';
export { checkSnapshot, type IpamCheckReport, type IpamProblem } from './check.js';
export type { Pool, PoolData, AffinityState, HandleData } from './records.js';
export { Ipam, type IpamInit, type IpamClock, type AddPoolInput, type BlockSummary } from './allocator.js';
export { releaseNode, type NodeReleaseReport } from './node-release.js';
export { deletePool, type PoolDeleteReport } from './pool-delete.js';
export { IpamGc, releaseAddress, type IpamGcInit, type GcReport, type ReleasedAddress } from './gc.js';
