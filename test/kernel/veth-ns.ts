// The namespace the kernel tests run in: loopback up and a veth pair whose veth0 holds
// 10.91.0.1/24 and fd91::1/64 (gateways 10.91.0.x / fd91::x are on-link).
import { run } from '../harness/exec.js';

export async function createVethNamespace(ns: string): Promise<void> {
  const ip = (...args: string[]): Promise<unknown> => run('ip', ['-n', ns, ...args]);
  await run('ip', ['netns', 'add', ns]);
  await ip('link', 'set', 'lo', 'up');
  await ip('link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'veth1');
  await ip('addr', 'add', '10.91.0.1/24', 'dev', 'veth0');
  await ip('addr', 'add', 'fd91::1/64', 'dev', 'veth0', 'nodad');
  await ip('link', 'set', 'veth0', 'up');
  await ip('link', 'set', 'veth1', 'up');
}
