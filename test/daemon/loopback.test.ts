// Two real Wren daemons peering over loopback (no root needed): session, routes both ways,
// CLI output, SIGHUP semantics, shutdown communication.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWren, type WrenHandle } from '../harness/wren.js';
import { waitFor } from '../harness/wait.js';

const portA = 20000 + (process.pid % 20000);
const portB = portA + 1;
const metricsPort = portA + 2;

const configA = {
  asn: 65001,
  routerId: '10.0.0.1',
  hostname: 'node-a',
  listen: { address: '127.0.0.1', port: portA },
  metrics: { listen: `127.0.0.1:${metricsPort}` },
  originate: ['10.1.0.0/24', '2001:db8:1::/48'],
  peers: [{ name: 'b', address: '127.0.0.2', port: portB, asn: 4200000002, localAddress: '127.0.0.1', families: ['ipv4-unicast', 'ipv6-unicast'], nextHop6: '2001:db8::1', connectRetryTime: 1 }],
};
const configB = {
  asn: 4200000002,
  routerId: '10.0.0.2',
  listen: { address: '127.0.0.2', port: portB },
  originate: ['10.2.0.0/24'],
  peers: [{ name: 'a', address: '127.0.0.1', port: portA, asn: 65001, localAddress: '127.0.0.2', passive: true, families: ['ipv4-unicast', 'ipv6-unicast'] }],
};

describe('two wren daemons on loopback', () => {
  let a: WrenHandle;
  let b: WrenHandle;

  beforeAll(async () => {
    a = await startWren({ config: configA, name: 'wren-a' });
    b = await startWren({ config: configB, name: 'wren-b' });
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
  });

  it('reaches Established with a 4-octet AS and exchanges routes in both families', async () => {
    await a.waitEstablished('127.0.0.2');
    const routes = await waitFor(
      async () => {
        const r = await b.call('routes', { peer: '127.0.0.1' });
        return r.length === 2 ? r : undefined;
      },
      { timeoutMs: 10_000, what: "b to hold a's two routes" },
    );
    expect(routes.find((r) => r.prefix === '10.1.0.0/24')).toMatchObject({ nextHop: '127.0.0.1', asPath: '65001', origin: 'igp', localPref: null });
    expect(routes.find((r) => r.prefix === '2001:db8:1::/48')).toMatchObject({ nextHop: '2001:db8::1', asPath: '65001' });
    const fromB = await waitFor(async () => (await a.call('routes', { peer: '127.0.0.2' })).find((r) => r.prefix === '10.2.0.0/24'), { timeoutMs: 10_000, what: "a to hold b's route" });
    expect(fromB.asPath).toBe('4200000002');
    const [n] = await a.call('neighbors', { address: '127.0.0.2' });
    expect(n!.capabilities).toMatchObject({ as4: true, routeRefresh: true, enhancedRouteRefresh: true, extendedMessage: true, families: ['ipv4-unicast', 'ipv6-unicast'] });
    const [nb] = await b.call('neighbors', { address: '127.0.0.1' });
    expect(nb!.capabilities!.hostname).toBe('node-a');
  });

  it('prints the peering table and fails clearly without a daemon', async () => {
    const out = await a.cli(['status']);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/PEER ADDRESS\s+PEER TYPE\s+ASN\s+STATE\s+SINCE\s+INFO\s+RECEIVED\s+ADVERTISED/);
    expect(out.stdout).toMatch(/127\.0\.0\.2 \(b\)\s+ebgp\s+4200000002\s+Established\s+\S+\s+Established\s+1\s+2/);
    const json = JSON.parse((await a.cli(['status', '-o', 'json'])).stdout) as { peers: { state: string }[] };
    expect(json.peers[0]!.state).toBe('Established');
    const missing = await a.cli(['status', '--control', '/nonexistent/wren.sock']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/cannot reach the wren daemon at \/nonexistent\/wren\.sock/);
  });

  it('serves Prometheus metrics per peer', async () => {
    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('wren_bgp_session_established{peer="b"} 1');
    expect(text).toMatch(/wren_bgp_messages_total\{peer="b",direction="out",type="update"\} [1-9]/);
    expect(text).toContain('wren_bgp_prefixes{peer="b",direction="received"} 1');
    expect(text).toContain('wren_bgp_prefixes{peer="b",direction="advertised"} 2');
  });

  it('closes connections from addresses that are not configured peers', async () => {
    const { connect } = await import('node:net');
    const sock = connect({ host: '127.0.0.1', port: portA, localAddress: '127.0.0.9' });
    const closed = await new Promise<boolean>((resolve) => {
      sock.on('close', () => resolve(true));
      sock.on('error', () => undefined);
    });
    expect(closed).toBe(true);
    await waitFor(() => a.daemon.logTail(20).includes('"event":"connection.rejected","remote":"127.0.0.9"'), { timeoutMs: 5000, what: 'connection.rejected logged' });
  });

  it('applies a SIGHUP without resetting the unchanged session', async () => {
    const before = await b.peer('127.0.0.1');
    a.writeConfig({ ...configA, originate: ['10.1.0.0/24', '10.3.0.0/24'] });
    a.signal('SIGHUP');
    await waitFor(
      async () => {
        const r = await b.call('routes', { peer: '127.0.0.1' });
        const p = r.map((x) => x.prefix).sort();
        return p.join() === '10.1.0.0/24,10.3.0.0/24' ? p : undefined;
      },
      { timeoutMs: 10_000, what: 'new prefix announced and IPv6 prefix withdrawn' },
    );
    const after = await b.peer('127.0.0.1');
    expect(after.state).toBe('Established');
    expect(after.since).toBe(before.since);
    const [n] = await b.call('neighbors', { address: '127.0.0.1' });
    expect(n!.flaps).toBe(0);
  });

  it('keeps the running config when the new one is invalid', async () => {
    a.writeConfig({ ...configA, peers: [{ address: '10.0.0.300', asn: 1 }] });
    a.signal('SIGHUP');
    await waitFor(() => a.daemon.logTail(5).includes('config.rejected'), { timeoutMs: 5000, what: 'config.rejected in the log' });
    expect(a.daemon.logTail(5)).toContain('peers[0].address: must be an IPv4 or IPv6 address');
    expect((await a.peer('127.0.0.2')).state).toBe('Established');
  });

  it('keeps listening where it was when the new listen address cannot be bound', async () => {
    const { createServer } = await import('node:net');
    const squatter = createServer();
    await new Promise<void>((r) => squatter.listen(portA + 5, '127.0.0.1', r));
    try {
      a.writeConfig({ ...configA, listen: { address: '127.0.0.1', port: portA + 5 } });
      a.signal('SIGHUP');
      await waitFor(() => a.daemon.logTail(20).includes('"event":"listen.failed"'), { timeoutMs: 5000, what: 'listen.failed logged' });
      await waitFor(() => a.daemon.logTail(20).includes('config.reloaded'), { timeoutMs: 5000, what: 'the reload to finish' });
      expect(a.daemon.running).toBe(true);
      expect((await a.peer('127.0.0.2')).state).toBe('Established');
      // the old listener is back: a connection to the old port is accepted (then refused as unknown)
      const { connect } = await import('node:net');
      const ok = await new Promise<boolean>((resolve) => {
        const s = connect({ host: '127.0.0.1', port: portA, localAddress: '127.0.0.9' });
        s.on('connect', () => resolve(true));
        s.on('error', () => resolve(false));
      });
      expect(ok).toBe(true);
    } finally {
      await new Promise<void>((r) => squatter.close(() => r()));
      a.writeConfig(configA);
      a.signal('SIGHUP');
    }
  });

  it('resets a changed peer with Cease / Other Configuration Change', async () => {
    a.writeConfig({ ...configA, peers: [{ ...configA.peers[0]!, holdTime: 30 }] });
    a.signal('SIGHUP');
    await waitFor(async () => (await b.call('neighbors', { address: '127.0.0.1' }))[0]!.lastNotificationReceived?.subcode === 6, { timeoutMs: 10_000, what: 'b to receive Cease/6' });
    const [n] = await a.waitEstablished('127.0.0.2').then(() => a.call('neighbors', { address: '127.0.0.2' }));
    expect(n!.holdTime).toBe(30);
  });

  it('tells peers why on SIGTERM and exits 0', async () => {
    a.signal('SIGTERM');
    const exit = await a.daemon.exited;
    expect(exit.code).toBe(0);
    const p = await waitFor(async () => {
      const s = await b.peer('127.0.0.1');
      return s.state !== 'Established' ? s : undefined;
    }, { timeoutMs: 10_000, what: 'b to see the session go down' });
    expect(p.info).toMatch(/Administrative shutdown.*wren shutting down \(SIGTERM\)/);
    const [n] = await b.call('neighbors', { address: '127.0.0.1' });
    expect(n!.lastNotificationReceived).toMatchObject({ code: 6, subcode: 2, message: 'wren shutting down (SIGTERM)' });
  });
});

describe('daemon start-up errors', () => {
  it('exits 2 naming the file and field when the config is invalid', async () => {
    const { execFile } = await import('node:child_process');
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { WREN_BIN } = await import('../harness/wren.js');
    const dir = mkdtempSync(join(tmpdir(), 'wren-bad-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'asn: 65000\nrouterId: 10.0.0.1\npeers:\n  - address: 10.0.0.2\n    asn: 99999999999\n');
    const res = await new Promise<{ code: number | null; stderr: string }>((r) =>
      execFile(process.execPath, [WREN_BIN, 'daemon', '--config', file, '--control', join(dir, 's.sock')], { timeout: 10_000 }, (err, _o, stderr) => r({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stderr })),
    );
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(`${file}: invalid configuration`);
    expect(res.stderr).toMatch(/peers\[0\]\.asn: /);
    const { rmSync } = await import('node:fs');
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('max-prefix limit', () => {
  const portC = portA + 10;
  const portD = portA + 11;
  let c: WrenHandle;
  let d: WrenHandle;
  afterAll(async () => {
    await c?.stop();
    await d?.stop();
  });

  it('stops a peer that sends too many prefixes with Cease / Maximum Number of Prefixes Reached and restarts it later', async () => {
    c = await startWren({
      name: 'wren-c',
      config: {
        asn: 65003,
        routerId: '10.0.0.3',
        listen: { address: '127.0.0.3', port: portC },
        originate: ['10.31.0.0/24', '10.32.0.0/24', '10.33.0.0/24'],
        peers: [{ address: '127.0.0.4', port: portD, asn: 65004, localAddress: '127.0.0.3', connectRetryTime: 1 }],
      },
    });
    d = await startWren({
      name: 'wren-d',
      config: {
        asn: 65004,
        routerId: '10.0.0.4',
        listen: { address: '127.0.0.4', port: portD },
        peers: [{ address: '127.0.0.3', port: portC, asn: 65003, localAddress: '127.0.0.4', passive: true, maxPrefixes: { ipv4: 2, action: 'stop', restartAfter: 1 } }],
      },
    });
    const stopped = await waitFor(async () => {
      const p = await d.peer('127.0.0.3');
      return /Maximum prefixes reached/.test(p.info) ? p : undefined;
    }, { timeoutMs: 15_000, what: 'd to stop the session for too many prefixes' });
    expect(stopped.info).toBe('Maximum prefixes reached (ipv4-unicast); restart in 1s');
    const [n] = await c.call('neighbors', { address: '127.0.0.4' });
    expect(n!.lastNotificationReceived).toMatchObject({ code: 6, subcode: 1 });
    expect((await d.call('routes', { peer: '127.0.0.3' })).length).toBe(0);
    // restartAfter: the session comes back (and is stopped again, since c still sends three)
    await waitFor(async () => (await c.call('neighbors', { address: '127.0.0.4' }))[0]!.flaps >= 2, { timeoutMs: 15_000, what: 'the session to be restarted and stopped again' });
  });
});
