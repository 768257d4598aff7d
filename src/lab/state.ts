// The lab's state file (DIR/lab.json): what `up` built, so `status`, `ping` and `down` find the
// namespaces, sockets, pods and processes. Written after every step of `up` (atomically), so a
// crash part-way leaves a file `down` can still use.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { LabStateError, NoLabError } from './errors.js';
import { stateFile } from './plan.js';

export const LAB_STATE_VERSION = 1;

export interface LabNodeState {
  name: string;
  ns: string;
  address: string;
  /** a reflector when the lab was built (the cluster CLI can change roles later) */
  reflector: boolean;
  config: string;
  control: string;
  log: string;
  pid: number | null;
}

export interface LabPodState {
  id: string;
  node: string;
  ns: string;
  /** the pod's address from cluster IPAM; null until podAdd answered */
  ipv4: string | null;
}

/** A global sysctl the lab changed, and the value to put back. */
export interface SysctlChange {
  path: string;
  old: string;
  set: string;
}

export interface LabState {
  version: typeof LAB_STATE_VERSION;
  phase: 'building' | 'up';
  prefix: string;
  dir: string;
  createdAt: string;
  asn: number;
  pool: string;
  reflectors: number;
  podsPerNode: number;
  switchNs: string;
  etcd: { ns: string; endpoint: string; dataDir: string; log: string; pid: number | null };
  nodes: LabNodeState[];
  pods: LabPodState[];
  sysctls: SysctlChange[];
}

export function labExists(dir: string): boolean {
  return existsSync(stateFile(dir));
}

export function readState(dir: string): LabState {
  const file = stateFile(dir);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new NoLabError(dir);
    throw new LabStateError(`cannot read ${file}: ${(e as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new LabStateError(`${file} is not valid JSON (${(e as Error).message}); remove the lab with: wren lab down`);
  }
  const s = parsed as Partial<LabState>;
  if (s.version !== LAB_STATE_VERSION || typeof s.prefix !== 'string' || !Array.isArray(s.nodes) || !Array.isArray(s.pods)) {
    throw new LabStateError(`${file} is not a lab state file of this Wren version; remove the lab with: wren lab down`);
  }
  return s as LabState;
}

/** Like readState, but undefined when there is no usable state file. */
export function tryReadState(dir: string): LabState | undefined {
  try {
    return readState(dir);
  } catch (e) {
    if (e instanceof NoLabError || e instanceof LabStateError) return undefined;
    throw e;
  }
}

/** Synchronous and atomic (write + rename): safe to call after every step, even concurrently from one process. */
export function writeState(state: LabState): void {
  const file = stateFile(state.dir);
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, file);
}
