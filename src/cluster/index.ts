// The cluster model: stored records of nodes, peers and the cluster config, label selectors,
// and the pure derivation of each node's BGP peers.

export * from './errors.js';
export * from './selector.js';
export * from './records.js';
export * from './derive-peers.js';
