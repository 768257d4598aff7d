// After start-up a daemon hands back the clean file pages only start-up touched
// (src/daemon/startup-pages.ts): which mappings qualify, and two real daemons on loopback whose
// resident file pages drop while their session and routes still work.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSmaps, releasable } from '../../src/daemon/startup-pages.js';
import { startWren, type WrenHandle } from '../harness/wren.js';
import { waitFor } from '../harness/wait.js';

const region = (header: string, rss: number, anonymous: number): string =>
  [header, `Size:               4096 kB`, `Rss:                ${rss} kB`, `Pss:                ${rss} kB`, `Anonymous:          ${anonymous} kB`, `VmFlags: rd mr mw me`].join('\n');

const SMAPS = [
  region('00400000-00b6f000 r--p 00000000 fe:00 260689                             /usr/bin/node', 5948, 0),
  region('00b72000-025fe000 r-xp 00772000 fe:00 260689                             /usr/bin/node', 16624, 0),
  region('05640000-05650000 r--p 05240000 fe:00 260689                             /usr/bin/node', 64, 64),
  region('05650000-05660000 rw-p 05250000 fe:00 260689                             /usr/bin/node', 64, 32),
  region('18a7c000-18d41000 rw-p 00000000 00:00 0                                  [heap]', 2720, 2720),
  region('7f67fec44000-7f67fed9a000 r-xp 00026000 fe:00 339380                     /usr/lib/x86_64-linux-gnu/libc.so.6', 1040, 0),
  region('7f67fed9a000-7f67fee00000 r--p 00000000 fe:00 339381                     /usr/lib/x86_64-linux-gnu/unused.so', 0, 0),
  region('7f0000000000-7f0000100000 r--s 00000000 00:05 1234                       /dev/shm/shared', 64, 0),
  region('7f0000100000-7f0000200000 r--p 00000000 00:01 99                         /memfd:jit (deleted)', 64, 0),
  region('7f0000200000-7f0000300000 r--p 00000000 fe:00 77                         /opt/old.so (deleted)', 64, 0),
  region('7ffd1f1c2000-7ffd1f1c4000 r-xp 00000000 00:00 0                          [vdso]', 8, 0),
  region('7ffd1f1c4000-7ffd1f1c6000 r-xp 00000000 00:00 0                          ', 8, 8),
].join('\n');

describe('which start-up pages can be handed back', () => {
  it('reads every region with its address range, rights, file, Rss and Anonymous', () => {
    const maps = parseSmaps(SMAPS);
    expect(maps).toHaveLength(12);
    expect(maps[1]).toEqual({ start: 0xb72000, end: 0x25fe000, perms: 'r-xp', inode: 260689, path: '/usr/bin/node', rssKb: 16624, anonymousKb: 0 });
    expect(maps[4]).toMatchObject({ path: '[heap]', inode: 0, anonymousKb: 2720 });
    expect(maps[11]).toMatchObject({ path: '', inode: 0 });
  });

  it('takes only resident, clean, read-only, private mappings of regular files', () => {
    const chosen = releasable(parseSmaps(SMAPS)).map((m) => `${m.perms} ${m.path}`);
    // Not: relocated read-only data (copy-on-write pages), writable data, the heap, a mapping
    // with nothing resident, shared memory, a memfd, a deleted file, the vDSO, anonymous code.
    expect(chosen).toEqual(['r--p /usr/bin/node', 'r-xp /usr/bin/node', 'r-xp /usr/lib/x86_64-linux-gnu/libc.so.6']);
  });
});

// Own loopback addresses: no other test listens there, whatever port the pid gives.
const portA = 21000 + (process.pid % 20000);
const portB = portA + 1;

function statusKb(pid: number, field: 'VmRSS' | 'RssFile'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]);
}

interface Released {
  releasedKb: number;
  mappings: number;
  rssBeforeKb: number;
  rssAfterKb: number;
}

describe.runIf(process.platform === 'linux')('daemons after start-up', () => {
  let a: WrenHandle;
  let b: WrenHandle;

  beforeAll(async () => {
    a = await startWren({
      name: 'wren-pages-a',
      config: { asn: 65001, routerId: '10.0.0.31', listen: { address: '127.0.0.31', port: portA }, originate: ['10.1.0.0/24'], peers: [{ address: '127.0.0.32', port: portB, asn: 65002, localAddress: '127.0.0.31', connectRetryTime: 1 }] },
    });
    b = await startWren({
      name: 'wren-pages-b',
      config: { asn: 65002, routerId: '10.0.0.32', listen: { address: '127.0.0.32', port: portB }, originate: ['10.2.0.0/24'], peers: [{ address: '127.0.0.31', port: portA, asn: 65001, localAddress: '127.0.0.32', passive: true }] },
    });
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
  });

  it('hand back most of the node executable and keep working with less resident memory', async () => {
    const line = await waitFor(() => a.daemon.logTail(200).split('\n').find((l) => l.includes('"memory.startup-pages-released"')), {
      timeoutMs: 10_000,
      what: 'memory.startup-pages-released logged',
    });
    const released = JSON.parse(line) as Released;
    expect(released.mappings).toBeGreaterThan(0);
    expect(released.releasedKb).toBeGreaterThan(10 * 1024);
    expect(released.rssAfterKb).toBeLessThan(released.rssBeforeKb - 10 * 1024);

    // Still a working speaker: the session comes up and routes go both ways after the release.
    await a.waitEstablished('127.0.0.32');
    await waitFor(async () => (await b.call('routes', { peer: '127.0.0.31' })).find((r) => r.prefix === '10.1.0.0/24'), { timeoutMs: 10_000, what: "b to hold a's route" });
    await waitFor(async () => (await a.call('routes', { peer: '127.0.0.32' })).find((r) => r.prefix === '10.2.0.0/24'), { timeoutMs: 10_000, what: "a to hold b's route" });
    expect((await a.cli(['status'])).code).toBe(0);
    // What the session, the control socket and the CLI's calls touched came back, not the rest.
    expect(statusKb(a.daemon.pid, 'VmRSS')).toBeLessThan(released.rssBeforeKb - 5 * 1024);
    expect(statusKb(a.daemon.pid, 'RssFile')).toBeLessThan(30 * 1024);
  });
});
