// Harness for interop tests against real BGP peers in network namespaces. See each module.

export * from './exec.js';
export * from './wait.js';
export * from './packages.js';
export * from './netns.js';
export * from './routes.js';
export * from './bird-parse.js';
export * from './bird.js';
export * from './gobgp.js';
export * from './frr.js';
export * from './tshark.js';
export * from './wren.js';
export * from './etcd.js';
