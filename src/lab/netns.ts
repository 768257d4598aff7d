// Network namespaces of a lab, through `ip`: the switch (a bridge in its own namespace), hosts
// plugged into it by a veth created directly between the two namespaces (no interface ever
// appears in the root namespace), bare pod namespaces, and finding a lab's namespaces by name.
import { readdirSync } from 'node:fs';
import { isLabNamespace } from './plan.js';
import { run, type RunResult } from './shell.js';

const NETNS_DIR = '/run/netns';

const ip = (args: readonly string[]): Promise<RunResult> => run('ip', args);

/** A namespace with lo up. */
export async function addNamespace(ns: string): Promise<void> {
  await ip(['netns', 'add', ns]);
  await ip(['-n', ns, 'link', 'set', 'lo', 'up']);
}

/** The switch: a namespace holding one bridge. No IPv6 there, so its ports stay quiet. */
export async function addSwitch(ns: string, bridge: string): Promise<void> {
  await addNamespace(ns);
  await run('ip', ['netns', 'exec', ns, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6; echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6']);
  await ip(['-n', ns, 'link', 'add', bridge, 'type', 'bridge', 'mcast_snooping', '0']);
  await ip(['-n', ns, 'link', 'set', bridge, 'up']);
}

/** eth0 in `ns` with `cidr`, its peer `port` enslaved to the switch's bridge. */
export async function plugIntoSwitch(sw: { ns: string; bridge: string }, ns: string, port: string, cidr: string): Promise<void> {
  await ip(['link', 'add', 'eth0', 'netns', ns, 'type', 'veth', 'peer', 'name', port, 'netns', sw.ns]);
  await ip(['-n', sw.ns, 'link', 'set', port, 'master', sw.bridge, 'up']);
  await ip(['-n', ns, 'addr', 'add', cidr, 'dev', 'eth0']);
  await ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
}

/** Every existing namespace of the lab with this prefix (also ones no state file knows of). */
export function labNamespaces(prefix: string): string[] {
  let names: string[];
  try {
    names = readdirSync(NETNS_DIR);
  } catch {
    return [];
  }
  return names.filter((n) => isLabNamespace(prefix, n)).sort();
}

/** Deletes a namespace; one that is already gone is fine. */
export async function deleteNamespace(ns: string): Promise<void> {
  const r = await run('ip', ['netns', 'delete', ns], { allowFailure: true });
  if (r.code !== 0 && !/No such file|not found/i.test(r.stderr)) {
    await run('ip', ['netns', 'delete', ns]); // once more, and fail with its message
  }
}

/** Pids of the processes inside a namespace (`ip netns pids`). */
export async function namespacePids(ns: string): Promise<number[]> {
  const r = await run('ip', ['netns', 'pids', ns], { allowFailure: true });
  if (r.code !== 0) return [];
  return r.stdout
    .split(/\s+/)
    .filter((s) => /^\d+$/.test(s))
    .map(Number);
}

/** `ip netns exec NS cmd args…` */
export function inNamespace(ns: string, cmd: string, args: readonly string[], opts?: Parameters<typeof run>[2]): Promise<RunResult> {
  return run('ip', ['netns', 'exec', ns, cmd, ...args], opts);
}
