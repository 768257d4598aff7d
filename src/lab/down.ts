// `wren lab down`: stops every daemon and etcd (by recorded pid, and whatever still runs inside
// the lab's namespaces), deletes every namespace with the lab's prefix (also ones the state
// file does not know: a crash during `up`), restores the sysctls, removes the lab's files.
// Idempotent: with nothing left it says so.
import { existsSync, readdirSync, rmSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { requireRoot } from './common.js';
import { LabInputError, LabCommandError } from './errors.js';
import { restoreSysctls } from './neigh-limits.js';
import { deleteNamespace, labNamespaces, namespacePids } from './netns.js';
import { labNames } from './plan.js';
import { isLabProcess, stopProcesses } from './processes.js';
import { mapLimit } from './shell.js';
import { tryReadState } from './state.js';

export interface LabDownOptions {
  dir: string;
  prefix: string;
  /** the prefix was given on the command line (not the default) */
  prefixGiven: boolean;
}

export interface LabDownReport {
  /** false: there was nothing to remove */
  found: boolean;
  prefix: string;
  stopped: number;
  killed: number;
  namespaces: number;
  /** /proc/sys paths put back */
  sysctlsRestored: string[];
  dirRemoved: boolean;
  /** files in the directory the lab did not make (the directory is then kept) */
  foreignFiles: string[];
}

/** Files and directories `up` and the daemons create in the lab directory. */
const LAB_FILE = /^(lab\.json(\.tmp)?|etcd\.log|etcd-data|node-\d+(\.yaml|\.sock|\.log|-pods\.json(\.tmp)?))$/;

export async function labDown(o: LabDownOptions): Promise<LabDownReport> {
  requireRoot('down');
  const state = tryReadState(o.dir);
  if (state && o.prefixGiven && state.prefix !== o.prefix) {
    throw new LabInputError(`the lab in ${o.dir} has prefix "${state.prefix}", not "${o.prefix}"; leave out --prefix or give the right --dir`);
  }
  const prefix = state?.prefix ?? o.prefix;
  const namespaces = labNamespaces(prefix);
  const files = dirEntries(o.dir);
  const labFiles = files.filter((f) => LAB_FILE.test(f));
  const report: LabDownReport = { found: false, prefix, stopped: 0, killed: 0, namespaces: 0, sysctlsRestored: [], dirRemoved: false, foreignFiles: [] };
  if (!state && namespaces.length === 0 && labFiles.length === 0) return report;
  report.found = true;

  // Node daemons first: on SIGTERM they tell their peers and revoke their lease, which needs etcd.
  const etcdNs = labNames.etcd(prefix);
  const recorded = (pids: (number | null)[]): number[] => pids.filter((p): p is number => p !== null && isLabProcess(p, o.dir));
  const inNamespaces = async (names: string[]): Promise<number[]> => (await mapLimit(names, 8, namespacePids)).flat();
  const daemonPids = [...recorded(state?.nodes.map((n) => n.pid) ?? []), ...(await inNamespaces(namespaces.filter((n) => n !== etcdNs)))];
  const first = await stopProcesses(daemonPids, 5_000);
  const etcdPids = [...recorded([state?.etcd.pid ?? null]), ...(await inNamespaces(namespaces))];
  const second = await stopProcesses(etcdPids, 5_000);
  report.stopped = first.terminated.length + second.terminated.length;
  report.killed = first.killed.length + second.killed.length;

  await mapLimit(namespaces, 8, deleteNamespace);
  report.namespaces = namespaces.length;
  const left = labNamespaces(prefix);
  if (left.length > 0) throw new LabCommandError('ip netns delete', 'still present', `namespaces left: ${left.join(', ')}`, '');

  report.sysctlsRestored = restoreSysctls(state?.sysctls ?? []);

  for (const f of labFiles) rmSync(join(o.dir, f), { recursive: true, force: true });
  report.foreignFiles = dirEntries(o.dir);
  if (existsSync(o.dir) && report.foreignFiles.length === 0) {
    rmdirSync(o.dir);
    report.dirRemoved = true;
  }
  return report;
}

function dirEntries(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
