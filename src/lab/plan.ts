// What a lab is made of, computed from the options before anything is created: namespace
// names, addresses, node roles and file paths. Pure, so `up`, `status`, `ping` and `down` agree
// on every name, and `down` can recognise a lab's namespaces even without its state file.
import { join } from 'node:path';
import { LabInputError } from './errors.js';

export const DEFAULT_LAB_DIR = '/run/wren-lab';
export const DEFAULT_LAB_PREFIX = 'wlab-';
export const DEFAULT_NODES = 4;
export const DEFAULT_REFLECTORS = 0;
export const DEFAULT_PODS = 2;
export const MAX_NODES = 500;
export const MAX_PODS_PER_NODE = 50;

/** The cluster's AS (Calico's default) and pod pool. */
export const LAB_ASN = 64512;
export const LAB_POOL = '10.244.0.0/16';
/** Nodes and etcd share one /16 on the bridge: node i is 10.99.(i >> 8).(i & 255). */
export const LAB_SUBNET_LENGTH = 16;
export const ETCD_ADDRESS = '10.99.255.1';
export const ETCD_PORT = 2379;
/** RFC 4456 CLUSTER_ID shared by the lab's reflectors (one redundant reflector cluster). */
export const RR_CLUSTER_ID = '10.99.255.254';
export const RR_LABEL = 'route-reflector';
/** The peer object that makes every node a client of the reflectors. */
export const RR_PEER_OBJECT = 'to-reflectors';
/** Linux limit for interface and (by this lab's choice) namespace names. */
const MAX_NAME = 15;

export interface LabOptions {
  nodes: number;
  reflectors: number;
  podsPerNode: number;
  dir: string;
  prefix: string;
}

export interface PlannedNode {
  /** 1-based */
  index: number;
  /** node name in the cluster: node-1 … */
  name: string;
  ns: string;
  address: string;
  reflector: boolean;
  /** the switch-side end of the node's veth */
  switchPort: string;
  config: string;
  control: string;
  log: string;
  podState: string;
}

export interface PlannedPod {
  /** pod id, also its IPAM handle: node-1-pod-1 */
  id: string;
  node: string;
  ns: string;
  /** what podAdd is given */
  netns: string;
}

export interface LabPlan {
  options: LabOptions;
  switchNs: string;
  bridge: string;
  etcd: { ns: string; address: string; endpoint: string; switchPort: string; dataDir: string; log: string };
  nodes: PlannedNode[];
  pods: PlannedPod[];
}

export function stateFile(dir: string): string {
  return join(dir, 'lab.json');
}

/** Namespace names: PREFIX + sw | etcd | n<i> | n<i>p<j>. */
export const labNames = {
  switch: (prefix: string): string => `${prefix}sw`,
  etcd: (prefix: string): string => `${prefix}etcd`,
  node: (prefix: string, i: number): string => `${prefix}n${i}`,
  pod: (prefix: string, i: number, j: number): string => `${prefix}n${i}p${j}`,
};

/** Whether a namespace is one this prefix's lab creates (exactly, so prefix "wlab-" never matches "wlab-x-n1"). */
export function isLabNamespace(prefix: string, ns: string): boolean {
  if (!ns.startsWith(prefix)) return false;
  return /^(sw|etcd|n\d+(p\d+)?)$/.test(ns.slice(prefix.length));
}

export function nodeAddress(i: number): string {
  return `10.99.${i >> 8}.${i & 255}`;
}

export function validatePrefix(prefix: string): string {
  if (!/^[a-z][a-z0-9-]{0,7}$/.test(prefix)) {
    throw new LabInputError(`--prefix "${prefix}": 1 to 8 characters, lowercase letters, digits and "-", starting with a letter`);
  }
  return prefix;
}

function count(what: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) throw new LabInputError(`${what} must be an integer ${min}..${max} (got ${value})`);
  return value;
}

export function validateOptions(o: LabOptions): LabOptions {
  count('--nodes', o.nodes, 1, MAX_NODES);
  count('--reflectors', o.reflectors, 0, o.nodes);
  count('--pods', o.podsPerNode, 0, MAX_PODS_PER_NODE);
  validatePrefix(o.prefix);
  if (o.dir === '') throw new LabInputError('--dir must not be empty');
  const longest = labNames.pod(o.prefix, o.nodes, Math.max(o.podsPerNode, 1));
  if (longest.length > MAX_NAME) {
    throw new LabInputError(`namespace names would be too long (${longest} has ${longest.length} characters, at most ${MAX_NAME}): use a shorter --prefix`);
  }
  return o;
}

export function planLab(options: LabOptions): LabPlan {
  const o = validateOptions(options);
  const { dir, prefix } = o;
  const nodes: PlannedNode[] = [];
  const pods: PlannedPod[] = [];
  for (let i = 1; i <= o.nodes; i++) {
    const name = `node-${i}`;
    const ns = labNames.node(prefix, i);
    nodes.push({
      index: i,
      name,
      ns,
      address: nodeAddress(i),
      reflector: i <= o.reflectors,
      switchPort: `n${i}`,
      config: join(dir, `${name}.yaml`),
      control: join(dir, `${name}.sock`),
      log: join(dir, `${name}.log`),
      podState: join(dir, `${name}-pods.json`),
    });
    for (let j = 1; j <= o.podsPerNode; j++) {
      const podNs = labNames.pod(prefix, i, j);
      pods.push({ id: `${name}-pod-${j}`, node: name, ns: podNs, netns: `/var/run/netns/${podNs}` });
    }
  }
  return {
    options: o,
    switchNs: labNames.switch(prefix),
    bridge: 'br0',
    etcd: {
      ns: labNames.etcd(prefix),
      address: ETCD_ADDRESS,
      endpoint: `http://${ETCD_ADDRESS}:${ETCD_PORT}`,
      switchPort: 'etcd',
      dataDir: join(dir, 'etcd-data'),
      log: join(dir, 'etcd.log'),
    },
    nodes,
    pods,
  };
}

/**
 * Sessions each node should have once the lab has converged: the full mesh (N-1 each), or with
 * reflectors and the mesh off, reflectors peer with every other node and clients with every
 * reflector (the `all()` → `has(route-reflector)` peer object, see src/cluster/derive-peers.ts).
 */
export function expectedSessions(nodes: readonly { reflector: boolean }[], reflectors: number): number[] {
  if (reflectors === 0) return nodes.map(() => nodes.length - 1);
  return nodes.map((n) => (n.reflector ? nodes.length - 1 : reflectors));
}

/** The node daemon's configuration file (src/config/schema.ts); the cluster's AS overrides `asn`. */
export function nodeConfig(plan: LabPlan, node: PlannedNode): Record<string, unknown> {
  return {
    asn: LAB_ASN,
    routerId: node.address,
    hostname: node.name,
    kernel: { enabled: true },
    pods: { stateFile: node.podState },
    datastore: { etcd: { endpoints: [plan.etcd.endpoint] } },
    cluster: {
      nodeName: node.name,
      ...(node.reflector ? { labels: { [RR_LABEL]: 'true' }, routeReflectorClusterId: RR_CLUSTER_ID } : {}),
    },
  };
}
