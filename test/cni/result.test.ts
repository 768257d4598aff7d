// The pure parts of the plugin that the process-level tests cannot reach through the stand-in
// daemon: IPv6 results, old result formats, pod id parsing.
import { describe, expect, it } from 'vitest';
import type { PodInfo } from '../../src/api/types.js';
import { parsePodId, podId } from '../../src/cni/attachment.js';
import { addResult } from '../../src/cni/result.js';
import { diffWithPrev, parsePrevResult } from '../../src/cni/prev-result.js';

const pod: PodInfo = {
  id: 'cni/net/c1/eth0',
  netns: '/var/run/netns/p1',
  ifname: 'eth0',
  hostIfname: 'wren0123456789a',
  ipv4: '10.244.1.5',
  ipv6: 'fd00:244::5',
  mac: '02:00:00:00:00:01',
  hostMac: 'ee:ee:ee:ee:ee:ee',
  createdAt: '2025-01-01T00:00:00.000Z',
};

describe('ADD result', () => {
  it('gives a dual-stack pod a /32 via 169.254.1.1 and a /128 via fe80::1', () => {
    expect(addResult('1.0.0', pod, pod.netns, {}, null)).toEqual({
      cniVersion: '1.0.0',
      interfaces: [
        { name: 'wren0123456789a', mac: 'ee:ee:ee:ee:ee:ee' },
        { name: 'eth0', mac: '02:00:00:00:00:01', sandbox: '/var/run/netns/p1' },
      ],
      ips: [
        { address: '10.244.1.5/32', gateway: '169.254.1.1', interface: 1 },
        { address: 'fd00:244::5/128', gateway: 'fe80::1', interface: 1 },
      ],
      routes: [{ dst: '0.0.0.0/0', gw: '169.254.1.1' }, { dst: '::/0', gw: 'fe80::1' }],
      dns: {},
    });
  });

  it('marks each IP with its family for 0.3.x and 0.4.0, not for 1.x', () => {
    expect(addResult('0.4.0', pod, pod.netns, {}, null).ips.map((i) => i.version)).toEqual(['4', '6']);
    expect(addResult('1.1.0', pod, pod.netns, {}, null).ips.map((i) => i.version)).toEqual([undefined, undefined]);
  });

  it('an IPv6-only pod has no IPv4 route', () => {
    const r = addResult('1.0.0', { ...pod, ipv4: null }, pod.netns, {}, null);
    expect(r.ips).toEqual([{ address: 'fd00:244::5/128', gateway: 'fe80::1', interface: 1 }]);
    expect(r.routes).toEqual([{ dst: '::/0', gw: 'fe80::1' }]);
  });
});

describe('CHECK against prevResult', () => {
  it('accepts its own ADD result, also with entries added by later plugins', () => {
    const own = addResult('1.0.0', pod, pod.netns, {}, null);
    const later = { ...own, interfaces: [...own.interfaces, { name: 'ifb0' }], routes: [...own.routes, { dst: '10.96.0.0/12' }] };
    expect(diffWithPrev(parsePrevResult(later), pod, pod.netns, 'eth0')).toEqual([]);
  });

  it('names a missing IPv6 address and a wrong sandbox', () => {
    const own = addResult('1.0.0', { ...pod, ipv6: null }, '/var/run/netns/other', {}, null);
    expect(diffWithPrev(parsePrevResult(own), pod, pod.netns, 'eth0')).toEqual([
      'prevResult lists no interface eth0 in sandbox /var/run/netns/p1',
      "prevResult does not list the pod's address fd00:244::5/128",
    ]);
  });
});

describe('pod ids', () => {
  it('round-trip for this network and ignore other networks and hand-made pods', () => {
    const id = podId('k8s-pod-network', '3f6940ab5ab4', 'net1');
    expect(id).toBe('cni/k8s-pod-network/3f6940ab5ab4/net1');
    expect(parsePodId('k8s-pod-network', id)).toEqual({ containerId: '3f6940ab5ab4', ifname: 'net1' });
    expect(parsePodId('k8s', id)).toBeNull();
    expect(parsePodId('k8s-pod-network', 'web-1')).toBeNull();
    expect(parsePodId('k8s-pod-network', 'cni/k8s-pod-network/a/b/c')).toBeNull();
  });
});
