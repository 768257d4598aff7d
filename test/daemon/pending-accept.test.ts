// A connection from an address that is not a configured peer yet is held for a moment: when
// the configuration names the peer within it (a cluster node learning of a new node a little
// later than the node dialling it), the session comes up on that very connection instead of
// after the dialler's ConnectRetry and back-off. Two real daemons on loopback (no root needed).
import { afterEach, describe, expect, it } from 'vitest';
import { startWren, type WrenHandle } from '../harness/wren.js';
import { waitFor } from '../harness/wait.js';

const portA = 21000 + (process.pid % 20000);
const portB = portA + 1;

const peerB = { name: 'b', address: '127.0.0.22', port: portB, asn: 65002, localAddress: '127.0.0.21', passive: true };
const configA = { asn: 65001, routerId: '10.0.0.21', listen: { address: '127.0.0.21', port: portA }, peers: [] as (typeof peerB)[] };
// B dials A and would wait 60 s before dialling again: only the held connection can bring the
// session up quickly.
const configB = {
  asn: 65002,
  routerId: '10.0.0.22',
  listen: { address: '127.0.0.22', port: portB },
  peers: [{ name: 'a', address: '127.0.0.21', port: portA, asn: 65001, localAddress: '127.0.0.22', connectRetryTime: 60 }],
};

describe('a connection from a peer configured a moment later', () => {
  const started: WrenHandle[] = [];
  afterEach(async () => {
    for (const d of started.splice(0)) await d.stop();
  });

  it('is held and becomes the session once the peer is configured', async () => {
    const a = await startWren({ config: configA, name: 'wren-held-a' });
    started.push(a);
    const b = await startWren({ config: configB, name: 'wren-held-b' });
    started.push(b);
    // B's connection is in (B sent its OPEN and waits for A's): A holds it, rejecting nothing.
    await waitFor(async () => (await b.call('neighbors', { address: '127.0.0.21' }))[0]?.state === 'OpenSent', { timeoutMs: 5000, what: 'B connected to A, OPEN sent' });
    expect(a.daemon.logTail(50)).not.toContain('connection.rejected');
    a.writeConfig({ ...configA, peers: [peerB] });
    const t0 = Date.now();
    a.signal('SIGHUP');
    await a.waitEstablished('127.0.0.22');
    expect(Date.now() - t0).toBeLessThan(3000);
    const [n] = await b.call('neighbors', { address: '127.0.0.21' });
    expect(n!.state).toBe('Established');
  });

  it('is closed and logged as rejected when no peer is configured in time', async () => {
    const a = await startWren({ config: configA, name: 'wren-held-a2' });
    started.push(a);
    const { connect } = await import('node:net');
    const sock = connect({ host: '127.0.0.21', port: portA, localAddress: '127.0.0.23' });
    const t0 = Date.now();
    const closedAfter = await new Promise<number>((resolve) => {
      sock.on('close', () => resolve(Date.now() - t0));
      sock.on('error', () => undefined);
    });
    expect(closedAfter).toBeGreaterThan(2000);
    expect(closedAfter).toBeLessThan(6000);
    await waitFor(() => a.daemon.logTail(20).includes('"event":"connection.rejected","remote":"127.0.0.23"'), { timeoutMs: 5000, what: 'connection.rejected logged' });
  });
});
