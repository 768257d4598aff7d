import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import {
  derivePeers,
  derivedPeerName,
  SelfNodeUnknownError,
  toPeerConfig,
  validateClusterConfig,
  validateNode,
  validatePeer,
  type ClusterConfigInput,
  type DeriveInput,
  type DerivedPeer,
  type NodeRecordInput,
  type PeerObjectInput,
} from '../../src/cluster/index.js';

const node = (name: string, ipv4: string, extra: Partial<NodeRecordInput> = {}): NodeRecordInput => ({ name, ipv4, ...extra });
const rr = (name: string, ipv4: string): NodeRecordInput => node(name, ipv4, { routeReflectorClusterId: '1.0.0.1', labels: { 'route-reflector': 'true' } });

interface Scenario {
  config?: Partial<ClusterConfigInput>;
  nodes: NodeRecordInput[];
  /** default: every node */
  live?: string[];
  peers?: PeerObjectInput[];
}

function build(s: Scenario, self: string): DeriveInput {
  const nodes = s.nodes.map(validateNode);
  return {
    config: validateClusterConfig({ asn: 64512, ...s.config }),
    nodes,
    live: new Set(s.live ?? nodes.map((n) => n.name)),
    peers: (s.peers ?? []).map(validatePeer),
    self,
  };
}

/** Compact view: name → "address asn flags type". */
function view(peers: readonly DerivedPeer[]): Record<string, string> {
  return Object.fromEntries(
    peers.map((p) => [p.name, [p.address, p.asn, p.passive ? 'passive' : 'active', ...(p.rrClient ? ['rr-client'] : []), p.type].join(' ')]),
  );
}

const mesh4: Scenario = {
  nodes: [node('n1', '10.0.0.1'), node('n2', '10.0.0.2'), node('n3', '10.0.0.3'), node('n4', '10.0.0.4')],
};

const rrScenario: Scenario = {
  config: { nodeToNodeMesh: false },
  nodes: [rr('rr1', '10.0.0.201'), rr('rr2', '10.0.0.202'), node('n1', '10.0.0.1'), node('n2', '10.0.0.2'), node('n3', '10.0.0.3')],
  peers: [{ name: 'to-reflectors', nodeSelector: 'all()', peerSelector: 'has(route-reflector)' }],
};

const table: Array<{ what: string; scenario: Scenario; self: string; expected: Record<string, string>; clusterId?: string }> = [
  {
    what: '4-node mesh: every other node, the higher address passive',
    scenario: mesh4,
    self: 'n2',
    expected: {
      'mesh-n1': '10.0.0.1 64512 passive node-to-node mesh',
      'mesh-n3': '10.0.0.3 64512 active node-to-node mesh',
      'mesh-n4': '10.0.0.4 64512 active node-to-node mesh',
    },
  },
  {
    what: 'mesh: dead nodes are excluded',
    scenario: { ...mesh4, live: ['n1', 'n2', 'n4'] },
    self: 'n1',
    expected: {
      'mesh-n2': '10.0.0.2 64512 active node-to-node mesh',
      'mesh-n4': '10.0.0.4 64512 active node-to-node mesh',
    },
  },
  {
    what: 'mesh: a node without a record is not a peer even if live',
    scenario: { ...mesh4, live: ['n1', 'n2', 'ghost'] },
    self: 'n1',
    expected: { 'mesh-n2': '10.0.0.2 64512 active node-to-node mesh' },
  },
  {
    what: 'passive side compares IPv4 numerically: 10.0.0.10 is higher than 10.0.0.9',
    scenario: { nodes: [node('a', '10.0.0.9'), node('b', '10.0.0.10')] },
    self: 'b',
    expected: { 'mesh-a': '10.0.0.9 64512 passive node-to-node mesh' },
  },
  {
    what: 'passive side, from the lower address',
    scenario: { nodes: [node('a', '10.0.0.9'), node('b', '10.0.0.10')] },
    self: 'a',
    expected: { 'mesh-b': '10.0.0.10 64512 active node-to-node mesh' },
  },
  {
    what: 'a node AS override is the peer AS',
    scenario: { nodes: [node('a', '10.0.0.1'), node('b', '10.0.0.2', { asn: 65002 })] },
    self: 'a',
    expected: { 'mesh-b': '10.0.0.2 65002 active node-to-node mesh' },
  },
  {
    what: 'mesh off + 2 reflectors: a client peers with both reflectors',
    scenario: rrScenario,
    self: 'n2',
    expected: {
      'rr-rr1': '10.0.0.201 64512 active route reflector',
      'rr-rr2': '10.0.0.202 64512 active route reflector',
    },
  },
  {
    what: 'mesh off + 2 reflectors: a reflector peers with the other reflector and sees every client as rrClient',
    scenario: rrScenario,
    self: 'rr1',
    clusterId: '1.0.0.1',
    expected: {
      'rr-n1': '10.0.0.1 64512 passive rr-client route reflector',
      'rr-n2': '10.0.0.2 64512 passive rr-client route reflector',
      'rr-n3': '10.0.0.3 64512 passive rr-client route reflector',
      'rr-rr2': '10.0.0.202 64512 active route reflector',
    },
  },
  {
    what: 'mesh off: reflectors peer with each other even without a peer object; clients get nothing',
    scenario: { ...rrScenario, peers: [] },
    self: 'rr2',
    clusterId: '1.0.0.1',
    expected: { 'rr-rr1': '10.0.0.201 64512 passive route reflector' },
  },
  {
    what: 'mesh off: a dead reflector is not a peer',
    scenario: { ...rrScenario, live: ['rr2', 'n1', 'n2', 'n3'] },
    self: 'n1',
    expected: { 'rr-rr2': '10.0.0.202 64512 active route reflector' },
  },
  {
    what: 'global ToR peer: every node gets it, beside its mesh',
    scenario: { ...mesh4, peers: [{ name: 'tor', peerIp: '192.168.1.1', asn: 65000 }] },
    self: 'n4',
    expected: {
      'global-tor': '192.168.1.1 65000 active global',
      'mesh-n1': '10.0.0.1 64512 passive node-to-node mesh',
      'mesh-n2': '10.0.0.2 64512 passive node-to-node mesh',
      'mesh-n3': '10.0.0.3 64512 passive node-to-node mesh',
    },
  },
  {
    what: 'node-selector peer applies to a matching node',
    scenario: {
      config: { nodeToNodeMesh: false },
      nodes: [node('n1', '10.0.0.1', { labels: { rack: 'a' } }), node('n2', '10.0.0.2', { labels: { rack: 'b' } })],
      peers: [
        { name: 'tor-a', peerIp: '192.168.1.1', asn: 65001, nodeSelector: "rack == 'a'" },
        { name: 'tor-b', peerIp: '192.168.2.1', asn: 65002, nodeSelector: "rack == 'b'" },
        { name: 'not-b', peerIp: '192.168.9.9', asn: 65009, nodeSelector: "rack != 'b'" },
      ],
    },
    self: 'n1',
    expected: {
      'node-not-b': '192.168.9.9 65009 active node specific',
      'node-tor-a': '192.168.1.1 65001 active node specific',
    },
  },
  {
    what: 'node-selector peer does not apply to a non-matching node',
    scenario: {
      config: { nodeToNodeMesh: false },
      nodes: [node('n1', '10.0.0.1', { labels: { rack: 'a' } }), node('n2', '10.0.0.2', { labels: { rack: 'b' } })],
      peers: [{ name: 'tor-a', peerIp: '192.168.1.1', asn: 65001, nodeSelector: "rack == 'a' && has(rack)" }],
    },
    self: 'n2',
    expected: {},
  },
  {
    what: 'a peer for one named node',
    scenario: {
      nodes: [node('n1', '10.0.0.1'), node('n2', '10.0.0.2')],
      peers: [{ name: 'lab', peerIp: '172.16.0.1', asn: 65100, node: 'n2', keepOriginalNextHop: true }],
    },
    self: 'n2',
    expected: {
      'mesh-n1': '10.0.0.1 64512 passive node-to-node mesh',
      'node-lab': '172.16.0.1 65100 active node specific',
    },
  },
  {
    what: 'same address twice: the mesh wins over a peer object (mesh on, reflectors selected)',
    scenario: { ...rrScenario, config: { nodeToNodeMesh: true } },
    self: 'rr1',
    clusterId: '1.0.0.1',
    expected: {
      'mesh-n1': '10.0.0.1 64512 passive node-to-node mesh',
      'mesh-n2': '10.0.0.2 64512 passive node-to-node mesh',
      'mesh-n3': '10.0.0.3 64512 passive node-to-node mesh',
      'mesh-rr2': '10.0.0.202 64512 active node-to-node mesh',
    },
  },
  {
    what: 'same address twice: node specific wins over global',
    scenario: {
      config: { nodeToNodeMesh: false },
      nodes: [node('n1', '10.0.0.1', { labels: { rack: 'a' } })],
      peers: [
        { name: 'a-global', peerIp: '192.168.1.1', asn: 65000 },
        { name: 'z-rack', peerIp: '192.168.1.1', asn: 65001, nodeSelector: "rack == 'a'" },
      ],
    },
    self: 'n1',
    expected: { 'node-z-rack': '192.168.1.1 65001 active node specific' },
  },
  {
    what: 'a peer object pointing at our own address is ignored',
    scenario: { nodes: [node('n1', '10.0.0.1')], peers: [{ name: 'me', peerIp: '10.0.0.1', asn: 64512 }] },
    self: 'n1',
    expected: {},
  },
  {
    what: 'a peerIp that is a reflector node: type route reflector, the reflector side sees a client',
    scenario: {
      config: { nodeToNodeMesh: false },
      nodes: [rr('rr1', '10.0.0.201'), node('n1', '10.0.0.1')],
      peers: [{ name: 'rr1-by-ip', peerIp: '10.0.0.201', asn: 64512 }],
    },
    self: 'n1',
    expected: { 'global-rr1-by-ip': '10.0.0.201 64512 active route reflector' },
  },
  {
    what: 'selector peering between ordinary nodes (no reflector) is global/node specific',
    scenario: {
      config: { nodeToNodeMesh: false },
      nodes: [node('n1', '10.0.0.1', { labels: { zone: 'x' } }), node('n2', '10.0.0.2', { labels: { zone: 'x' } }), node('n3', '10.0.0.3')],
      peers: [{ name: 'zone-x', nodeSelector: "zone == 'x'", peerSelector: "zone == 'x'" }],
    },
    self: 'n2',
    expected: { 'peer-n1': '10.0.0.1 64512 passive node specific' },
  },
];

describe('derivePeers', () => {
  for (const t of table) {
    it(t.what, () => {
      const out = derivePeers(build(t.scenario, t.self));
      expect(view(out.peers)).toEqual(t.expected);
      expect(out.clusterId).toBe(t.clusterId);
    });
  }

  it('is deterministic: input order does not change the output', () => {
    const a = derivePeers(build(rrScenario, 'rr1'));
    const s = build(rrScenario, 'rr1');
    const b = derivePeers({ ...s, nodes: [...s.nodes].reverse(), peers: [...s.peers].reverse() });
    expect(b).toEqual(a);
  });

  it('reports what lost an address to a better source', () => {
    const out = derivePeers(build({ ...rrScenario, config: { nodeToNodeMesh: true } }, 'n1'));
    expect(out.shadowed).toEqual([
      { name: 'rr-rr1', address: '10.0.0.201', type: 'route reflector', source: 'peer object to-reflectors', shadowedBy: 'mesh-rr1' },
      { name: 'rr-rr2', address: '10.0.0.202', type: 'route reflector', source: 'peer object to-reflectors', shadowedBy: 'mesh-rr2' },
    ]);
  });

  it('switching the mesh off keeps the client-side session settings (only name and type change)', () => {
    const before = derivePeers(build({ ...rrScenario, config: { nodeToNodeMesh: true } }, 'n2')).peers.find((p) => p.address === '10.0.0.201')!;
    const after = derivePeers(build(rrScenario, 'n2')).peers.find((p) => p.address === '10.0.0.201')!;
    const settings = (p: DerivedPeer): unknown => ({ ...toPeerConfig(p), name: null });
    expect(settings(after)).toEqual(settings(before));
  });

  it('dual-stack nodes carry IPv6 over their IPv4 session with their own IPv6 next hop', () => {
    const out = derivePeers(build({ nodes: [node('a', '10.0.0.1', { ipv6: 'fd00::1' }), node('b', '10.0.0.2', { ipv6: 'fd00::2' })] }, 'a'));
    expect(out.peers[0]).toMatchObject({ address: '10.0.0.2', families: ['ipv4-unicast', 'ipv6-unicast'], nextHop6: 'fd00::1' });
  });

  it('hold time from the cluster config and keepOriginalNextHop reach the daemon peer config, which accepts it', () => {
    const out = derivePeers(
      build({ config: { holdTime: 30 }, nodes: mesh4.nodes, peers: [{ name: 'rs', peerIp: '192.168.5.5', asn: 65005, keepOriginalNextHop: true }] }, 'n1'),
    );
    const cfg = configSchema.parse({ asn: out.asn, routerId: out.routerId, peers: out.peers.map(toPeerConfig) });
    expect(cfg.peers.map((p) => [p.name, p.holdTime, p.nextHopKeep])).toEqual([
      ['global-rs', 30, true],
      ['mesh-n2', 30, false],
      ['mesh-n3', 30, false],
      ['mesh-n4', 30, false],
    ]);
  });

  it('returns the node AS override and router ID', () => {
    const out = derivePeers(build({ nodes: [node('a', '10.0.0.1', { asn: 65001 })] }, 'a'));
    expect([out.asn, out.routerId, out.clusterId]).toEqual([65001, '10.0.0.1', undefined]);
  });

  it('fails with a named error for an unregistered node', () => {
    expect(() => derivePeers(build(mesh4, 'n9'))).toThrow(SelfNodeUnknownError);
  });

  it('shortens long peer names deterministically within the daemon limit', () => {
    const long = 'x'.repeat(100);
    const a = derivedPeerName('mesh', long);
    expect(a.length).toBe(64);
    expect(a).toBe(derivedPeerName('mesh', long));
    expect(a).not.toBe(derivedPeerName('mesh', `${long}y`));
    expect(derivedPeerName('rr', 'n1')).toBe('rr-n1');
  });
});
