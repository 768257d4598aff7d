// The etcd-side commands (like calicoctl): `wren cluster`, `node`, `peer`, `pool` and `ipam`.
// Only commander is loaded here; each action imports its implementation (and the etcd client)
// when it runs, so `wren status` and friends start as fast as before.
//
// Every leaf command takes `--etcd URL[,URL…]` (default $WREN_ETCD_ENDPOINTS or
// http://127.0.0.1:2379) and `-o table|json`. Exit codes: 0 done, 1 failed, 2 bad input,
// 3 etcd unreachable (see cluster-context.ts).

import { Argument, Command, InvalidArgumentError, Option, type CommanderError } from 'commander';
import type { ClusterInitOptions, NodeSetOptions, PeerAddOptions } from './cluster-actions.js';
import type { EtcdOptions } from './cluster-context.js';
import type { IpamReleaseOptions, IpamShowOptions, PoolAddOptions } from './cluster-ipam-actions.js';

/** Usage errors of these commands are bad input: exit 2, not commander's 1. */
function exitOnUsageError(err: CommanderError): never {
  process.exit(err.exitCode === 0 ? 0 : 2);
}

function integer(what: string, min: number, max: number): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${what} must be an integer ${min}..${max}`);
    }
    return n;
  };
}

const asnArg = integer('AS number', 1, 4294967295);

function collect(v: string, prev: string[] | undefined): string[] {
  return [...(prev ?? []), v];
}

/** A command group (`wren peer`): help when called alone. */
function group(parent: Command, name: string, description: string): Command {
  return parent.command(name).description(description).exitOverride(exitOnUsageError);
}

const ETCD_HELP = 'etcd endpoints, comma-separated (default $WREN_ETCD_ENDPOINTS or http://127.0.0.1:2379)';

/** A leaf command with the shared etcd and output options. */
function leaf(parent: Command, name: string, description: string): Command {
  return parent
    .command(name)
    .description(description)
    .option('--etcd <urls>', ETCD_HELP)
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'))
    .exitOverride(exitOnUsageError);
}

/** The leaf's options over the program's: `wren --etcd A node list --etcd B` reaches B. */
const opts = <T extends EtcdOptions>(cmd: Command): T => ({ ...cmd.optsWithGlobals<T>(), ...cmd.opts<T>() });

export function registerClusterCommands(program: Command): void {
  // Also before the subcommand, as etcdctl and calicoctl users type it: `wren --etcd URL node list`.
  program.option('--etcd <urls>', ETCD_HELP);
  const cluster = group(program, 'cluster', 'cluster-wide settings in etcd: AS number, node-to-node mesh');
  leaf(cluster, 'init', 'initialise the cluster config (and optionally its pools)')
    .requiredOption('--asn <n>', 'the cluster AS number', asnArg)
    .option('--no-mesh', 'start with the node-to-node mesh off (use route reflectors)')
    .option('--pool <cidr...>', 'IPAM pools to create (IPv4 and/or IPv6)')
    .option('--block-size-v4 <n>', 'default IPv4 block length for pools (default 26)', integer('block size', 20, 32))
    .option('--block-size-v6 <n>', 'default IPv6 block length for pools (default 122)', integer('block size', 116, 128))
    .action(async (_o: unknown, cmd: Command) => (await import('./cluster-actions.js')).clusterInit(opts<ClusterInitOptions>(cmd)));
  leaf(cluster, 'mesh', 'switch the node-to-node mesh on or off')
    .addArgument(new Argument('<mode>', 'on or off').choices(['on', 'off']))
    .action(async (mode: 'on' | 'off', _o: unknown, cmd: Command) => (await import('./cluster-actions.js')).clusterMesh(mode, opts(cmd)));
  leaf(cluster, 'show', 'the cluster config and what the cluster holds')
    .action(async (_o: unknown, cmd: Command) => (await import('./cluster-actions.js')).clusterShow(opts(cmd)));

  const node = group(program, 'node', 'registered nodes');
  leaf(node, 'list', 'registered nodes, live or down, with their addresses, AS, labels and blocks')
    .action(async (_o: unknown, cmd: Command) => (await import('./cluster-actions.js')).nodeList(opts(cmd)));
  leaf(node, 'set', "edit a node's labels, route-reflector cluster ID or AS")
    .argument('<name>', 'node name')
    .option('--label <key=value>', 'set a label (repeatable)', collect)
    .option('--remove-label <key>', 'remove a label (repeatable)', collect)
    .option('--rr-cluster-id <id>', 'make the node a route reflector with this cluster ID (dotted IPv4)')
    .option('--no-rr-cluster-id', 'make the node an ordinary node again')
    .option('--asn <n>', "override the cluster AS for this node", asnArg)
    .action(async (name: string, _o: unknown, cmd: Command) => (await import('./cluster-actions.js')).nodeSet(name, opts<NodeSetOptions>(cmd)));

  leaf(node, 'del', 'delete a node that is gone for good, releasing its pods\' addresses and its blocks')
    .argument('<name>', 'node name')
    .action(async (name: string, _o: unknown, cmd: Command) => (await import('./cluster-actions.js')).nodeDel(name, opts(cmd)));

  const peer = group(program, 'peer', 'BGP peer objects: external peers and node-to-node peerings by selector');
  leaf(peer, 'add', 'add a BGP peer for all nodes, one node, or the nodes a selector matches')
    .argument('<name>', 'peer object name')
    .addOption(new Option('--peer-ip <address>', 'peer address (a router outside the cluster)').conflicts('peerSelector'))
    .option('--asn <n>', 'peer AS number (with --peer-ip)', asnArg)
    .addOption(new Option('--node <name>', 'only this node peers').conflicts('nodeSelector'))
    .option('--node-selector <selector>', "only the nodes matching this selector peer, e.g. \"rack == 'a1'\"")
    .option('--peer-selector <selector>', 'peer with the nodes matching this selector, e.g. "has(route-reflector)"')
    .option('--keep-original-next-hop', 'send routes with their original next hop')
    .action(async (name: string, _o: unknown, cmd: Command) => (await import('./cluster-actions.js')).peerAdd(name, opts<PeerAddOptions>(cmd)));
  leaf(peer, 'list', 'peer objects')
    .action(async (_o: unknown, cmd: Command) => (await import('./cluster-actions.js')).peerList(opts(cmd)));
  leaf(peer, 'del', 'delete a peer object')
    .argument('<name>', 'peer object name')
    .action(async (name: string, _o: unknown, cmd: Command) => (await import('./cluster-actions.js')).peerDel(name, opts(cmd)));

  const pool = group(program, 'pool', 'IPAM pools');
  leaf(pool, 'add', 'add an IPAM pool')
    .argument('<cidr>', 'e.g. 10.244.0.0/16 or fd00:10:244::/56')
    .option('--block-size <n>', 'block length (default from the cluster config: /26 IPv4, /122 IPv6)', integer('block size', 0, 128))
    .option('--strict-affinity', 'never borrow addresses from other nodes’ blocks')
    .action(async (cidr: string, _o: unknown, cmd: Command) => (await import('./cluster-ipam-actions.js')).poolAdd(cidr, opts<PoolAddOptions>(cmd)));
  leaf(pool, 'list', 'IPAM pools with their use')
    .action(async (_o: unknown, cmd: Command) => (await import('./cluster-ipam-actions.js')).poolList(opts(cmd)));
  leaf(pool, 'disable', 'give no more addresses from a pool automatically (its pods keep theirs): to move pods to another pool')
    .argument('<cidr>', 'the pool, as listed by "wren pool list"')
    .action(async (cidr: string, _o: unknown, cmd: Command) => (await import('./cluster-ipam-actions.js')).poolDisable(cidr, true, opts(cmd)));
  leaf(pool, 'enable', 'give addresses from a disabled pool again')
    .argument('<cidr>', 'the pool, as listed by "wren pool list"')
    .action(async (cidr: string, _o: unknown, cmd: Command) => (await import('./cluster-ipam-actions.js')).poolDisable(cidr, false, opts(cmd)));
  leaf(pool, 'del', 'delete an IPAM pool whose addresses are all free, with its blocks')
    .argument('<cidr>', 'the pool, as listed by "wren pool list"')
    .action(async (cidr: string, _o: unknown, cmd: Command) => (await import('./cluster-ipam-actions.js')).poolDel(cidr, opts(cmd)));

  const ipam = group(program, 'ipam', 'IPAM blocks and allocations');
  leaf(ipam, 'show', 'blocks with their node and use; with --node, that node’s blocks and allocations')
    .option('--node <name>', 'only this node')
    .action(async (_o: unknown, cmd: Command) => (await import('./cluster-ipam-actions.js')).ipamShow(opts<IpamShowOptions>(cmd)));
  leaf(ipam, 'check', 'consistency check of every IPAM record (exit 1 on problems)')
    .action(async (_o: unknown, cmd: Command) => (await import('./cluster-ipam-actions.js')).ipamCheck(opts(cmd)));
  leaf(ipam, 'release', 'release the addresses of a handle (pod id), or one address')
    .addOption(new Option('--handle <handle>', 'every address of this handle').conflicts('ip'))
    .option('--ip <address>', 'this one address')
    .action(async (_o: unknown, cmd: Command) => (await import('./cluster-ipam-actions.js')).ipamRelease(opts<IpamReleaseOptions>(cmd)));
}
