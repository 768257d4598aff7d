// Running synchronous code inside another network namespace, via our native setns(2) binding
// (native/wren_ns.c). Only the calling thread switches, and only for the duration of `fn`:
// netlink sockets opened inside stay bound to that namespace after we switch back.
import { closeSync, openSync } from 'node:fs';
import { loadNativeHelper } from '../lib/native.js';

const CLONE_NEWNET = 0x40000000;

interface NsBinding {
  setns(fd: number, nstype: number): void;
}

export class NetnsError extends Error {
  override readonly name = 'NetnsError';
  constructor(
    readonly code: 'netns-missing' | 'netns-invalid' | 'netns-unsupported',
    message: string,
  ) {
    super(message);
  }
}

let binding: NsBinding | null = null;

function loadBinding(): NsBinding {
  binding ??= loadNativeHelper<NsBinding>('wren_ns');
  if (binding) return binding;
  throw new NetnsError('netns-unsupported', 'the native helper native/build/wren_ns.node is not built; run `npm run build` (needs a C compiler)');
}

/** Runs `fn` with this thread in the network namespace at `path` (e.g. /var/run/netns/pod1). */
export function inNetns<T>(path: string, fn: () => T): T {
  const ns = loadBinding();
  let target: number;
  try {
    target = openSync(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new NetnsError('netns-missing', `network namespace ${path} cannot be opened (${code})`);
  }
  let self = -1;
  try {
    self = openSync('/proc/thread-self/ns/net', 'r');
    try {
      ns.setns(target, CLONE_NEWNET);
    } catch (e) {
      throw new NetnsError('netns-invalid', `${path} is not a network namespace (${(e as Error).message})`);
    }
    try {
      return fn();
    } finally {
      // Returning to our own namespace cannot fail short of a kernel bug; if it did, every
      // later socket would land in the pod, so there is nothing sane left to do but stop.
      try {
        ns.setns(self, CLONE_NEWNET);
      } catch (e) {
        process.stderr.write(`wren: cannot return to the host network namespace: ${(e as Error).message}\n`);
        process.abort();
      }
    }
  } finally {
    closeSync(target);
    if (self >= 0) closeSync(self);
  }
}
