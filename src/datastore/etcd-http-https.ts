// node:https (and with it node:tls) costs a process about 1 MB of RSS at load. Clusters that
// talk plain http to etcd never need it, so it is loaded on first use: when TLS is configured.

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export function https(): typeof import('node:https') {
  // require() caches the module: only the first call loads it.
  return require('node:https') as typeof import('node:https');
}
