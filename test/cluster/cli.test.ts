// The etcd-side CLI (wren cluster / node / peer / pool / ipam) as a user runs it: the built
// command (dist/src/cli/cluster-main.js, the same commands main.ts registers) against a real
// etcd, checking output, exit codes and what ends up in the store.

import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EtcdServer, ensurePackages, freePort, run } from '../harness/index.js';
import { EtcdHttpDatastore } from '../../src/datastore/index.js';
import { keys, prefixes } from '../../src/datastore/keys.js';
import { Ipam } from '../../src/ipam/index.js';
import { parseClusterConfig, parsePeer, serializeNode } from '../../src/cluster/index.js';

const skip = await ensurePackages(['etcd-server']);
if (skip !== undefined) console.warn(`cluster CLI tests skipped: ${skip}`);

const ROOT_DIR = resolve(import.meta.dirname, '../..');
const MAIN = join(ROOT_DIR, 'dist/src/cli/cluster-main.js');

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

describe.skipIf(skip !== undefined)('wren cluster commands against a real etcd', () => {
  let etcd: EtcdServer;
  let store: EtcdHttpDatastore;

  async function wren(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
    const started = Date.now();
    const r = await run(process.execPath, [MAIN, ...args], {
      allowFailure: true,
      timeoutMs: 20_000,
      env: { ...process.env, WREN_ETCD_ENDPOINTS: etcd.endpoint, ...env },
    });
    return { code: r.exitCode, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started };
  }
  async function ok(args: string[]): Promise<string> {
    const r = await wren(args);
    expect(r.stderr, `wren ${args.join(' ')}`).toBe('');
    expect(r.code, `wren ${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.stdout;
  }
  async function json<T>(args: string[]): Promise<T> {
    return JSON.parse(await ok([...args, '-o', 'json'])) as T;
  }
  async function fails(args: string[], code: number, message: RegExp): Promise<void> {
    const r = await wren(args);
    expect(r.code, `wren ${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(code);
    expect(r.stderr).toMatch(message);
  }
  async function registerNode(name: string, ipv4: string, extra: Record<string, unknown> = {}, live = true): Promise<void> {
    await store.put(keys.node(name), serializeNode({ name, ipv4, ...extra }));
    if (live) await store.put(keys.liveness(name), JSON.stringify({ since: new Date().toISOString() }));
  }

  beforeAll(async () => {
    expect(() => readFileSync(MAIN), 'run "npm run build" first').not.toThrow();
    etcd = await EtcdServer.launch();
    store = new EtcdHttpDatastore({ endpoints: [etcd.endpoint], dialTimeoutMs: 1_000 });
  });

  afterAll(async () => {
    await store?.close();
    await etcd?.destroy();
  });

  beforeEach(async () => {
    for (const kv of (await store.list(prefixes.root)).kvs) await store.delete(kv.key);
  });

  it('cluster init writes the config and pools; the same init again is a no-op, a different one is refused', async () => {
    const out = await ok(['cluster', 'init', '--asn', '64512', '--pool', '10.244.0.0/16', 'fd00:10::/56']);
    expect(out).toContain('Cluster initialised.');
    expect(out).toContain('AS 64512, node-to-node mesh on');
    expect(parseClusterConfig((await store.get(keys.config()))!)).toEqual({ asn: 64512, nodeToNodeMesh: true, blockSize: { ipv4: 26, ipv6: 122 } });
    const again = await json<{ created: boolean; pools: Array<{ cidr: string; added: boolean }> }>(['cluster', 'init', '--asn', '64512', '--pool', '10.244.0.0/16']);
    expect(again.created).toBe(false);
    expect(again.pools).toEqual([{ cidr: '10.244.0.0/16', blockSize: 26, strictAffinity: false, added: false }]);
    await fails(['cluster', 'init', '--asn', '64513'], 2, /cluster already initialised with AS 64512, node-to-node mesh on/);
    await fails(['cluster', 'init', '--asn', '64512', '--pool', '10.244.0.0/16', '--block-size-v4', '24'], 2, /pool 10\.244\.0\.0\/16 already exists with block size \/26, not \/24/);
    expect((await new Ipam(store, { node: 'x' }).listPools()).map((p) => p.cidr)).toEqual(['10.244.0.0/16', 'fd00:10::/56']);
  });

  it('cluster init rejects bad input before writing anything', async () => {
    await fails(['cluster', 'init', '--asn', 'abc'], 2, /AS number must be an integer/);
    await fails(['cluster', 'init'], 2, /required option '--asn <n>' not specified/);
    await fails(['cluster', 'init', '--asn', '1', '--pool', '10.0.0.0/33'], 2, /invalid prefix "10.0.0.0\/33": length must be 0..32/);
    await fails(['cluster', 'init', '--asn', '1', '--pool', '10.0.0.0/8', '10.1.0.0/16'], 2, /--pool 10.1.0.0\/16 overlaps --pool 10.0.0.0\/8/);
    expect((await store.list(prefixes.root)).kvs).toEqual([]);
  });

  it('switches the node-to-node mesh off and on', async () => {
    await fails(['cluster', 'mesh', 'off'], 2, /cluster not initialised: run "wren cluster init --asn <AS>" first/);
    await ok(['cluster', 'init', '--asn', '64512', '--no-mesh']);
    expect(await json(['cluster', 'mesh', 'off'])).toEqual({ nodeToNodeMesh: false, changed: false });
    expect(await ok(['cluster', 'mesh', 'on'])).toBe('Node-to-node mesh switched on.\n');
    expect(parseClusterConfig((await store.get(keys.config()))!).nodeToNodeMesh).toBe(true);
    await fails(['cluster', 'mesh', 'maybe'], 2, /Allowed choices are on, off/);
  });

  it('pool add and list, with clear errors for malformed, overlapping and badly sized pools', async () => {
    await fails(['pool', 'add', '10.244.0.0/16'], 2, /cluster not initialised/);
    await ok(['cluster', 'init', '--asn', '64512', '--block-size-v4', '24']);
    expect(await json(['pool', 'add', '10.244.0.0/16'])).toEqual({ cidr: '10.244.0.0/16', blockSize: 24, strictAffinity: false });
    expect(await ok(['pool', 'add', 'fd00:10::/56', '--block-size', '120', '--strict-affinity'])).toBe('Pool fd00:10::/56 added (block size /120, strict affinity on).\n');
    await fails(['pool', 'add', '10.244.128.0/17'], 2, /pool 10.244.128.0\/17 overlaps existing pool 10.244.0.0\/16/);
    await fails(['pool', 'add', '10.245.0.1/16'], 2, /invalid prefix "10.245.0.1\/16": host bits set/);
    await fails(['pool', 'add', '10.245.0.0'], 2, /invalid prefix "10.245.0.0": missing \/length/);
    await fails(['pool', 'add', 'banana/8'], 2, /invalid prefix "banana": not an IPv4 address/);
    await fails(['pool', 'add', '10.245.0.0/16', '--block-size', '12'], 2, /block size \/12 must be \/20..\/32 for IPv4/);
    await fails(['pool', 'add', '169.254.0.0/16'], 2, /invalid pool 169\.254\.0\.0\/16: overlaps 169\.254\.0\.0\/16, link-local \(pods' default gateway is 169\.254\.1\.1\)/);
    await fails(['pool', 'add', 'ff00::/8'], 2, /invalid pool ff00::\/8: overlaps ff00::\/8, multicast/);
    await fails(['cluster', 'init', '--asn', '64512', '--pool', '127.0.0.0/8'], 2, /invalid pool 127\.0\.0\.0\/8: overlaps 127\.0\.0\.0\/8, loopback/);
    await new Ipam(store, { node: 'n1' }).autoAssign({ handle: 'p', family: 4 });
    const pools = await json<unknown[]>(['pool', 'list']);
    expect(pools).toEqual([
      { cidr: '10.244.0.0/16', blockSize: 24, strictAffinity: false, blocks: 1, totalBlocks: '256', allocated: 1, size: '65536' },
      { cidr: 'fd00:10::/56', blockSize: 120, strictAffinity: true, blocks: 0, totalBlocks: '18446744073709551616', allocated: 0, size: '4722366482869645213696' },
    ]);
    expect(await ok(['pool', 'list'])).toMatch(/10\.244\.0\.0\/16 +\/24 +no +1 of 256 +1 of 65536/);
  });

  it('pool del: refused while addresses are allocated, then the pool and its blocks go, in transactions etcd accepts', async () => {
    await ok(['cluster', 'init', '--asn', '64512', '--pool', '10.244.0.0/16']);
    expect(await ok(['pool', 'add', '10.250.0.0/23', '--block-size', '30'])).toContain('Pool 10.250.0.0/23 added');
    // 70 nodes with a block each: 70 blocks and 70 affinities, more keys than one etcd
    // transaction takes (--max-txn-ops 128).
    const handles: string[] = [];
    for (let i = 0; i < 70; i++) {
      handles.push(`pod-${i}`);
      await new Ipam(store, { node: `n${i}` }).autoAssign({ handle: `pod-${i}`, family: 4, pool: '10.250.0.0/23' });
    }
    await fails(['pool', 'del', '10.250.0.0/23'], 2, /^wren: pool 10\.250\.0\.0\/23 still has 70 addresses allocated \(handles: pod-0, pod-1, pod-10, pod-11, pod-12, and 65 more\); delete those pods, or release them with "wren ipam release --handle H", then delete the pool\n$/);
    expect(JSON.parse((await store.get(keys.pool('10.250.0.0/23')))!.value)).toEqual({ cidr: '10.250.0.0/23', blockSize: 30, strictAffinity: false });

    await ok(['ipam', 'release', '--handle', 'pod-0']);
    for (const h of handles.slice(1)) await new Ipam(store, { node: 'cli' }).releaseByHandle(h);
    expect(await ok(['pool', 'del', '10.250.0.0/23'])).toBe('Pool 10.250.0.0/23 deleted; 70 empty blocks released (10.250.0.0/30, 10.250.0.4/30, 10.250.0.8/30, 10.250.0.12/30, …).\n');
    const left = (await store.list(prefixes.ipam)).kvs.map((kv) => kv.key).filter((k) => k.includes('10.250.'));
    expect(left).toEqual([]);
    expect((await json<Array<{ cidr: string }>>(['pool', 'list'])).map((p) => p.cidr)).toEqual(['10.244.0.0/16']);
    expect((await wren(['ipam', 'check'])).code).toBe(0);
    await fails(['pool', 'del', '10.250.0.0/23'], 2, /no pool 10\.250\.0\.0\/23 \(pools: 10\.244\.0\.0\/16\)/);
    await fails(['pool', 'del', '10.250.0.0'], 2, /invalid prefix "10\.250\.0\.0": missing \/length/);
    // What an interrupted deletion leaves shows in the list; running it again finishes it.
    await store.put(keys.pool('10.251.0.0/24'), JSON.stringify({ cidr: '10.251.0.0/24', blockSize: 26, strictAffinity: false, deleting: true }));
    expect(await ok(['pool', 'list'])).toMatch(/\n10\.251\.0\.0\/24 \(being deleted\) +\/26 +no +0 of 4 +0 of 256\n/);
    expect((await json<Array<{ cidr: string; deleting?: boolean }>>(['pool', 'list'])).find((p) => p.cidr === '10.251.0.0/24')?.deleting).toBe(true);
    expect(await ok(['cluster', 'show'])).toContain('Pools: 10.244.0.0/16, 10.251.0.0/24 (being deleted)\n');
    // A pool written before ranges were checked (or by hand) shows in the check too.
    await store.put(keys.pool('169.254.0.0/16'), JSON.stringify({ cidr: '169.254.0.0/16', blockSize: 26, strictAffinity: false }));
    const check = await wren(['ipam', 'check']);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain('pool 169.254.0.0/16 overlaps 169.254.0.0/16, link-local (pods\' default gateway is 169.254.1.1): its pods cannot work; move them to another pool, then "wren pool del 169.254.0.0/16"');
    expect(check.stdout).toContain('pool 10.251.0.0/24 is marked for deletion by a "wren pool del" that did not finish (nothing is allocated from it): run it again');
    expect(await ok(['pool', 'del', '169.254.0.0/16'])).toBe('Pool 169.254.0.0/16 deleted; it had no blocks.\n');
    expect(await ok(['pool', 'del', '10.251.0.0/24'])).toBe('Pool 10.251.0.0/24 deleted; it had no blocks.\n');
  }, 60_000);

  it('pool disable and enable: no new addresses from a disabled pool, shown in the lists', async () => {
    await ok(['cluster', 'init', '--asn', '64512', '--pool', '10.244.0.0/16', '10.245.0.0/16']);
    const a = await new Ipam(store, { node: 'n1' }).autoAssign({ handle: 'a', family: 4 });
    expect(a).toMatch(/^10\.244\./);
    expect(await ok(['pool', 'disable', '10.244.0.0/16'])).toBe('Pool 10.244.0.0/16 disabled: no new addresses come from it; the pods it holds keep theirs.\n');
    expect(await ok(['pool', 'disable', '10.244.0.0/16'])).toBe('Pool 10.244.0.0/16 was already disabled.\n');
    expect(await ok(['pool', 'list'])).toMatch(/\n10\.244\.0\.0\/16 \(disabled\) +\/26 +no +1 of 1024 +1 of 65536\n/);
    expect((await json<Array<{ cidr: string; disabled?: boolean }>>(['pool', 'list'])).map((p) => [p.cidr, p.disabled])).toEqual([
      ['10.244.0.0/16', true],
      ['10.245.0.0/16', undefined],
    ]);
    expect(await ok(['cluster', 'show'])).toContain('Pools: 10.244.0.0/16 (disabled), 10.245.0.0/16\n');
    // The node's block in the disabled pool has room, but its next pod is given one elsewhere.
    expect(await new Ipam(store, { node: 'n1' }).autoAssign({ handle: 'b', family: 4 })).toMatch(/^10\.245\./);
    expect(await json<{ cidr: string; disabled: boolean; changed: boolean }>(['pool', 'enable', '10.244.0.0/16'])).toEqual({ cidr: '10.244.0.0/16', disabled: false, changed: true });
    expect(await new Ipam(store, { node: 'n1' }).autoAssign({ handle: 'c', family: 4 })).toMatch(/^10\.244\./);
    await fails(['pool', 'disable', '10.246.0.0/16'], 2, /no pool 10\.246\.0\.0\/16 \(pools: 10\.244\.0\.0\/16, 10\.245\.0\.0\/16\)/);
  });

  it('peer add, list and del: global, one node, and selector peerings', async () => {
    await ok(['cluster', 'init', '--asn', '64512']);
    await registerNode('n1', '10.0.0.1', { labels: { rack: 'a1' } });
    expect(await ok(['peer', 'add', 'tor', '--peer-ip', '192.168.1.1', '--asn', '65000'])).toBe('Peer tor added: every node peers with 192.168.1.1 AS 65000.\n');
    await ok(['peer', 'add', 'lab', '--peer-ip', '172.16.0.1', '--asn', '65100', '--node', 'n1', '--keep-original-next-hop']);
    expect(await ok(['peer', 'add', 'rack-a1', '--peer-ip', '192.168.2.1', '--asn', '65001', '--node-selector', "rack=='a1'"])).toBe("Peer rack-a1 added: the nodes matching rack == 'a1' peer with 192.168.2.1 AS 65001.\n");
    await ok(['peer', 'add', 'to-rr', '--node-selector', 'all()', '--peer-selector', 'has(route-reflector)']);
    expect(await json(['peer', 'list'])).toEqual([
      { name: 'lab', peerIp: '172.16.0.1', asn: 65100, node: 'n1', keepOriginalNextHop: true },
      { name: 'rack-a1', peerIp: '192.168.2.1', asn: 65001, nodeSelector: "rack == 'a1'" },
      { name: 'to-rr', nodeSelector: 'all()', peerSelector: 'has(route-reflector)' },
      { name: 'tor', peerIp: '192.168.1.1', asn: 65000 },
    ]);
    expect(parsePeer((await store.get(keys.peer('rack-a1')))!).nodeSelector).toBe("rack == 'a1'");
    const table = await ok(['peer', 'list']);
    expect(table.split('\n')[0]).toMatch(/^NAME +PEER +ASN +APPLIES TO +KEEP NEXT HOP$/);
    expect(table).toMatch(/to-rr +nodes: has\(route-reflector\) +\(node AS\) +all\(\) +no/);
    expect(await json(['peer', 'del', 'tor'])).toEqual({ deleted: { name: 'tor', peerIp: '192.168.1.1', asn: 65000 } });
    expect(await store.get(keys.peer('tor'))).toBeUndefined();
  });

  it('peer add and del reject bad input with the flag named', async () => {
    await fails(['peer', 'add', 'tor', '--peer-ip', '192.168.1.1', '--asn', '65000'], 2, /cluster not initialised/);
    await ok(['cluster', 'init', '--asn', '64512']);
    await registerNode('n1', '10.0.0.1');
    await fails(['peer', 'add', 'x', '--peer-ip', '192.168.1.1', '--asn', '1', '--node', 'n9'], 2, /unknown node "n9" \(registered nodes: n1\)/);
    await fails(['peer', 'add', 'x', '--peer-ip', '192.168.1.1'], 2, /invalid peer "x": --asn: required with --peer-ip/);
    await fails(['peer', 'add', 'x', '--asn', '1'], 2, /--peer-ip: one of --peer-ip or --peer-selector is required/);
    await fails(['peer', 'add', 'x', '--peer-ip', '192.168.1.300', '--asn', '1'], 2, /--peer-ip: must be an IPv4 or IPv6 address/);
    await fails(['peer', 'add', 'x', '--peer-selector', 'all()', '--asn', '1'], 2, /--asn: not allowed with --peer-selector/);
    await fails(['peer', 'add', 'x', '--peer-ip', '1.2.3.4', '--asn', '1', '--node-selector', 'rack = a'], 2, /--node-selector: invalid selector "rack = a" at character 6/);
    await fails(['peer', 'add', 'x', '--peer-ip', '1.2.3.4', '--asn', '1', '--node', 'n1', '--node-selector', 'all()'], 2, /cannot be used with option '--node-selector/);
    await fails(['peer', 'add', 'bad/name', '--peer-ip', '1.2.3.4', '--asn', '1'], 2, /invalid peer "bad\/name": NAME: letters, digits/);
    await ok(['peer', 'add', 'tor', '--peer-ip', '192.168.1.1', '--asn', '65000']);
    await fails(['peer', 'add', 'tor', '--peer-ip', '192.168.1.2', '--asn', '65000'], 2, /peer "tor" already exists/);
    await fails(['peer', 'del', 'nope'], 2, /no peer named "nope" \(peers: tor\)/);
    expect((await store.list(prefixes.peers)).kvs.map((kv) => kv.key)).toEqual([keys.peer('tor')]);
  });

  it('node list shows every registered node, live or down, with its blocks; node set edits it', async () => {
    await ok(['cluster', 'init', '--asn', '64512', '--pool', '10.244.0.0/16']);
    await registerNode('n1', '10.0.0.1', { labels: { rack: 'a1' } });
    await registerNode('rr1', '10.0.0.201', { routeReflectorClusterId: '1.0.0.1', asn: 65001 }, false);
    await new Ipam(store, { node: 'n1' }).autoAssign({ handle: 'pod', family: 4 });
    const table = await ok(['node', 'list']);
    expect(table).toMatch(/^NAME +STATUS +IPV4 +IPV6 +ASN +RR CLUSTER ID +LABELS +BLOCKS\n/);
    expect(table).toMatch(/n1 +live +10\.0\.0\.1 +- +64512 +- +rack=a1 +10\.244\.0\.0\/26/);
    expect(table).toMatch(/rr1 +down +10\.0\.0\.201 +- +65001 \(node\) +1\.0\.0\.1 +- +-/);
    expect(table).toContain('1 of 2 nodes live.');
    const nodes = await json<Array<{ name: string; live: boolean; asn: number; blocks: string[] }>>(['node', 'list']);
    expect(nodes.map((n) => [n.name, n.live, n.asn, n.blocks])).toEqual([
      ['n1', true, 64512, ['10.244.0.0/26']],
      ['rr1', false, 65001, []],
    ]);

    await ok(['node', 'set', 'n1', '--label', 'route-reflector=true', '--remove-label', 'rack', '--rr-cluster-id', '1.0.0.1']);
    expect(JSON.parse((await store.get(keys.node('n1')))!.value)).toEqual({ name: 'n1', ipv4: '10.0.0.1', routeReflectorClusterId: '1.0.0.1', labels: { 'route-reflector': 'true' } });
    await ok(['node', 'set', 'n1', '--no-rr-cluster-id']);
    expect(JSON.parse((await store.get(keys.node('n1')))!.value)).toEqual({ name: 'n1', ipv4: '10.0.0.1', labels: { 'route-reflector': 'true' } });
    await fails(['node', 'set', 'n9', '--label', 'a=b'], 2, /unknown node "n9" \(registered nodes: n1, rr1\)/);
    await fails(['node', 'set', 'n1', '--rr-cluster-id', '1.2.3'], 2, /routeReflectorClusterId: must be an IPv4 address/);
    await fails(['node', 'set', 'n1', '--label', 'novalue'], 2, /--label "novalue": expected KEY=VALUE/);
  });

  it('node del releases a gone node: its pods, its blocks, its record; refused while the node is live', async () => {
    await ok(['cluster', 'init', '--asn', '64512', '--pool', '10.244.0.0/24']);
    await registerNode('n1', '10.0.0.1');
    await registerNode('n2', '10.0.0.2', {}, false); // its daemon is gone: no liveness key
    for (const pod of ['p1', 'p2']) await new Ipam(store, { node: 'n2' }).autoAssign({ handle: pod, family: 4 });
    await new Ipam(store, { node: 'n1' }).autoAssign({ handle: 'q1', family: 4 });
    await ok(['peer', 'add', 'tor-n2', '--peer-ip', '192.168.1.1', '--asn', '65000', '--node', 'n2']);

    await fails(['node', 'del', 'n1'], 2, /node n1 is live \(its daemon holds a liveness lease\): stop its daemon first/);
    await fails(['node', 'del', 'n9'], 2, /unknown node "n9" \(registered nodes: n1, n2\)/);
    expect(await store.get(keys.node('n1'))).toBeDefined();

    const out = await ok(['node', 'del', 'n2']);
    expect(out).toBe(
      'Node n2 deleted: 2 addresses of 2 pods released, 1 block freed (10.244.0.0/26).\n' +
        'Peer objects still name node n2: tor-n2 (wren peer del NAME).\n',
    );
    expect(await store.get(keys.node('n2'))).toBeUndefined();
    expect(await store.get(keys.handle('p1'))).toBeUndefined();
    expect(await store.get(keys.handle('q1'))).toBeDefined();
    expect(await ok(['ipam', 'check'])).toMatch(/^IPAM consistent: 1 blocks?, 1 allocations?/);
    expect(await ok(['node', 'list'])).not.toMatch(/^n2 /m);
    await fails(['node', 'del', 'n2'], 2, /unknown node "n2" \(registered nodes: n1\)/);
  });

  it('ipam show, check and release', async () => {
    await ok(['cluster', 'init', '--asn', '64512', '--pool', '10.244.0.0/24', 'fd00:10::/120']);
    await registerNode('n1', '10.0.0.1');
    await registerNode('n2', '10.0.0.2');
    const n1 = new Ipam(store, { node: 'n1' });
    const n2 = new Ipam(store, { node: 'n2' });
    await n1.autoAssign({ handle: 'pod-a', family: 4 });
    await n1.autoAssign({ handle: 'pod-a', family: 6 });
    await n1.autoAssign({ handle: 'pod-b', family: 4 });
    await n2.autoAssign({ handle: 'pod-c', family: 4 });

    const all = await ok(['ipam', 'show']);
    expect(all).toMatch(/10\.244\.0\.0\/26 +n1 +confirmed +2 +62/);
    expect(all).toMatch(/10\.244\.0\.64\/26 +n2 +confirmed +1 +63/);
    expect(all).toContain('3 blocks, 4 addresses allocated.');
    const one = await json<{ blocks: Array<{ block: string; allocations: unknown[] }> }>(['ipam', 'show', '--node', 'n2']);
    expect(one.blocks).toEqual([
      { block: '10.244.0.64/26', node: 'n2', state: 'confirmed', size: 64, allocated: 1, allocations: [{ address: '10.244.0.64', handle: 'pod-c' }] },
    ]);
    expect(await ok(['ipam', 'show', '--node', 'n1'])).toMatch(/ADDRESS +HANDLE +BLOCK\n10\.244\.0\.0 +pod-a +10\.244\.0\.0\/26\n10\.244\.0\.1 +pod-b/);
    await fails(['ipam', 'show', '--node', 'n9'], 2, /unknown node "n9" \(nodes: n1, n2\)/);

    expect(await ok(['ipam', 'check'])).toBe('IPAM consistent: 3 blocks, 4 allocations, 3 handles at revision ' + (await store.list('/nothing')).revision + '.\n');

    expect(await json(['ipam', 'release', '--ip', '10.244.0.1'])).toEqual({ handle: 'pod-b', released: ['10.244.0.1'], block: '10.244.0.0/26' });
    expect(await ok(['ipam', 'release', '--handle', 'pod-a'])).toBe('Released 10.244.0.0, fd00:10:: (handle pod-a).\n');
    await fails(['ipam', 'release', '--handle', 'pod-a'], 2, /handle "pod-a" holds no addresses/);
    await fails(['ipam', 'release', '--ip', '10.244.0.1'], 2, /address 10\.244\.0\.1 is not allocated/);
    await fails(['ipam', 'release', '--ip', '10.244.0'], 2, /--ip "10\.244\.0" is not an IP address/);
    await fails(['ipam', 'release'], 2, /give exactly one of --handle HANDLE or --ip ADDRESS/);
    await fails(['ipam', 'release', '--handle', 'x', '--ip', '10.244.0.5'], 2, /cannot be used with option '--ip/);
    expect((await n1.listBlocks()).flatMap((b) => b.allocations)).toEqual([{ address: '10.244.0.64', handle: 'pod-c' }]);
    expect(await json(['ipam', 'check'])).toMatchObject({ ok: true, allocations: 1, handles: 1, problems: [] });

    // A broken store: check reports it and exits 1.
    await store.delete(keys.handle('pod-c'));
    const r = await wren(['ipam', 'check']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('IPAM has 1 problem');
    expect(r.stdout).toContain('block 10.244.0.64/26: 10.244.0.64 allocated to handle pod-c, whose record does not list it');
  });

  it('fails fast with exit 3 when etcd is unreachable (nothing listening, or a silent endpoint)', async () => {
    const refused = `http://127.0.0.1:${await freePort()}`;
    const r1 = await wren(['peer', 'list', '--etcd', refused]);
    expect(r1.code).toBe(3);
    expect(r1.stderr).toMatch(new RegExp(`^wren: etcd unreachable at ${refused} \\(.*ECONNREFUSED.*\\); set --etcd or WREN_ETCD_ENDPOINTS\\n$`));

    // --etcd before the subcommand (as etcdctl and calicoctl take it) is the same option; after
    // the subcommand it wins, and either wins over the environment.
    const r3 = await wren(['--etcd', refused, 'peer', 'list']);
    expect(r3.code).toBe(3);
    expect(r3.stderr).toContain(`etcd unreachable at ${refused} `);
    expect((await wren(['--etcd', refused, 'peer', 'list', '--etcd', etcd.endpoint])).code).toBe(0);
    const r4 = await wren(['--etcd', etcd.endpoint, 'node', 'list', '-o', 'json'], { WREN_ETCD_ENDPOINTS: refused });
    expect(r4.stderr).toBe('');
    expect(JSON.parse(r4.stdout)).toEqual([]);

    const sockets: Socket[] = [];
    const silent: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((ready) => silent.listen(0, '127.0.0.1', ready));
    const address = silent.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    try {
      const r2 = await wren(['node', 'list'], { WREN_ETCD_ENDPOINTS: `http://127.0.0.1:${address.port}` });
      expect(r2.code).toBe(3);
      expect(r2.stderr).toMatch(/^wren: etcd unreachable at http:\/\/127\.0\.0\.1:\d+ /);
      // A few seconds, not a hang: the 4 s budget plus process start-up on a loaded machine.
      expect(r2.ms).toBeLessThan(9_000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((closed) => silent.close(() => closed()));
    }
  }, 30_000);

  it('rejects malformed endpoints with exit 2', async () => {
    await fails(['peer', 'list', '--etcd', 'not an endpoint'], 2, /--etcd: "not an endpoint" is not an etcd endpoint \(expected http:\/\/HOST:PORT\)/);
    const r = await wren(['pool', 'list'], { WREN_ETCD_ENDPOINTS: ',' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/WREN_ETCD_ENDPOINTS: no etcd endpoint given/);
  });

  it('the command definitions load without the etcd client (lazy imports keep `wren status` start-up fast)', () => {
    const built = readFileSync(join(ROOT_DIR, 'dist/src/cli/cluster-commands.js'), 'utf8');
    const staticImports = [...built.matchAll(/^import .* from ['"]([^'"]+)['"];?$/gm)].map((m) => m[1]);
    expect(staticImports).toEqual(['commander']);
  });
});
