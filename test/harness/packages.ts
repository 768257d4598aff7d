// Provisioning for interop suites: make sure the reference peers are installed (apt-get, as
// root, on a fresh Debian 12 CI machine) and that this process may create network namespaces.
// Returns a skip reason instead of throwing, so suites can `describe.skipIf(reason)`.

import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { run } from './exec.js';

export type PeerPackage = 'bird2' | 'gobgpd' | 'frr' | 'tshark' | 'etcd-server' | 'iputils-ping';

/** Presence is judged by the binaries each package ships, not by dpkg's database. */
const BINARIES: Record<PeerPackage, readonly string[]> = {
  bird2: ['bird', 'birdc'],
  gobgpd: ['gobgpd', 'gobgp'],
  frr: ['/usr/lib/frr/bgpd', '/usr/lib/frr/zebra', 'vtysh'],
  tshark: ['tshark'],
  'etcd-server': ['etcd'],
  'iputils-ping': ['ping'],
};

const EXTRA_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** Absolute path of a binary (searching PATH plus the sbin directories), or undefined. */
export function findBinary(name: string): string | undefined {
  const candidates = name.includes('/')
    ? [name]
    : [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...EXTRA_PATH].map((d) => join(d, name));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

export function missingPackages(pkgs: readonly PeerPackage[]): PeerPackage[] {
  return pkgs.filter((p) => BINARIES[p].some((b) => findBinary(b) === undefined));
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

let aptUpdated: Promise<void> | undefined;
let netnsProbe: Promise<string | undefined> | undefined;

/** One lock for every apt-get this harness runs, so parallel test files do not fight over dpkg. */
const APT_LOCK = '/tmp/wren-harness-apt.lock';
const APT_ENV = { ...process.env, DEBIAN_FRONTEND: 'noninteractive', NEEDRESTART_MODE: 'a' };

async function apt(args: string[]): Promise<void> {
  await run('flock', ['-w', '900', APT_LOCK, 'apt-get', '-o', 'DPkg::Lock::Timeout=300', ...args], {
    env: APT_ENV,
    timeoutMs: 1_200_000,
  });
}

/**
 * Installs whichever of `pkgs` are missing (apt-get update once per process, then
 * `apt-get install -y`), when running as root; then checks that network namespaces can be
 * created. Resolves to undefined when everything is ready, otherwise to a skip reason.
 */
export async function ensurePackages(pkgs: readonly PeerPackage[]): Promise<string | undefined> {
  if (!isRoot()) {
    return `interop tests need root (network namespaces, apt-get); running as uid ${process.getuid?.() ?? '?'}`;
  }
  if (findBinary('ip') === undefined) return 'iproute2 (`ip`) is not installed';
  let missing = missingPackages(pkgs);
  if (missing.length > 0) {
    try {
      aptUpdated ??= apt(['update', '-q']);
      await aptUpdated;
      // Another test file may have installed some meanwhile; apt-get install is idempotent anyway.
      missing = missingPackages(pkgs);
      if (missing.length > 0) {
        await apt(['install', '-y', '-q', '--no-install-recommends', ...missing]);
      }
    } catch (err) {
      aptUpdated = undefined;
      const msg = err instanceof Error ? err.message.split('\n').slice(0, 6).join(' | ') : String(err);
      return `could not install ${missing.join(', ')}: ${msg}`;
    }
    missing = missingPackages(pkgs);
    if (missing.length > 0) return `still missing after apt-get install: ${missing.join(', ')}`;
  }
  netnsProbe ??= probeNetns();
  return netnsProbe;
}

/** Creating and deleting a throwaway namespace proves we have CAP_SYS_ADMIN for labs. */
async function probeNetns(): Promise<string | undefined> {
  const name = `wrenprobe${process.pid.toString(36)}`;
  try {
    await run('ip', ['netns', 'add', name]);
  } catch (err) {
    return `cannot create network namespaces: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
  }
  await run('ip', ['netns', 'delete', name], { allowFailure: true });
  return undefined;
}
