// The datastore layer: the port, its two adapters, and list+watch with resync.

export * from './errors.js';
export * from './port.js';
export { ManualClock, systemClock, type Clock } from './clock.js';
export { MemoryDatastore, type MemoryDatastoreInit } from './memory.js';
export { EtcdHttpDatastore, type EtcdHttpDatastoreInit, type EtcdHttpTuning } from './etcd-http.js';
export { resyncingWatch, type ResyncingWatch, type ResyncingWatchInit, type ResyncOrigin } from './watch-resync.js';
