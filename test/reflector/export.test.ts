import { describe, expect, it } from 'vitest';
import { exportPath, type ExportResult } from '../../src/reflector/export.js';
import { NO_ADVERTISE, NO_EXPORT, NO_EXPORT_SUBCONFED, NO_PEER } from '../../src/reflector/well-known.js';
import type { AsPathSegment, PathAttributes } from '../../src/wire/types.js';
import { attrsFor, CLUSTER_ID, ip, LOCAL_AS, path4, path6, source, target, type SourceKind, type TargetKind } from './helpers.js';

function sent(r: ExportResult): Extract<ExportResult, { action: 'send' }> {
  if (r.action !== 'send') throw new Error(`expected send, got skip (${r.reason})`);
  return r;
}

describe('reflection matrix (RFC 4271 §9.1.3, RFC 4456 §6/§8)', () => {
  const CLIENT_ID = ip('10.0.0.11');
  const NONCLIENT_ID = ip('10.0.0.21');
  // source × target → skip reason, or the ORIGINATOR_ID / CLUSTER_LIST the target receives
  type Expect = { skip: string } | { originatorId: number | undefined; clusterList: number[] | undefined };
  const table: [SourceKind, TargetKind, Expect][] = [
    ['local', 'ebgp', { originatorId: undefined, clusterList: undefined }],
    ['local', 'ibgp-client', { originatorId: undefined, clusterList: undefined }],
    ['local', 'ibgp-nonclient', { originatorId: undefined, clusterList: undefined }],
    ['ebgp', 'ebgp', { originatorId: undefined, clusterList: undefined }],
    ['ebgp', 'ibgp-client', { originatorId: undefined, clusterList: undefined }],
    ['ebgp', 'ibgp-nonclient', { originatorId: undefined, clusterList: undefined }],
    ['ibgp-client', 'ebgp', { originatorId: undefined, clusterList: undefined }],
    ['ibgp-client', 'ibgp-client', { originatorId: CLIENT_ID, clusterList: [CLUSTER_ID] }],
    ['ibgp-client', 'ibgp-nonclient', { originatorId: CLIENT_ID, clusterList: [CLUSTER_ID] }],
    ['ibgp-nonclient', 'ebgp', { originatorId: undefined, clusterList: undefined }],
    ['ibgp-nonclient', 'ibgp-client', { originatorId: NONCLIENT_ID, clusterList: [CLUSTER_ID] }],
    ['ibgp-nonclient', 'ibgp-nonclient', { skip: 'ibgp-to-ibgp-not-reflected' }],
  ];

  it.each(table)('from %s to %s', (from, to, expected) => {
    const src = source(from);
    const r = exportPath(path4(src, attrsFor(from)), target(to, { id: 999 }));
    if ('skip' in expected) {
      expect(r).toEqual({ action: 'skip', reason: expected.skip });
      return;
    }
    const s = sent(r);
    expect(s.attrs.originatorId).toBe(expected.originatorId);
    expect(s.attrs.clusterList).toEqual(expected.clusterList);
  });

  it('keeps an existing ORIGINATOR_ID and prepends our cluster ID to CLUSTER_LIST', () => {
    const src = source('ibgp-client');
    const attrs = attrsFor('ibgp-client', { originatorId: ip('10.9.9.9'), clusterList: [ip('10.0.0.200')] });
    const s = sent(exportPath(path4(src, attrs), target('ibgp-nonclient')));
    expect(s.attrs.originatorId).toBe(ip('10.9.9.9'));
    expect(s.attrs.clusterList).toEqual([CLUSTER_ID, ip('10.0.0.200')]);
  });

  it('reflects without touching NEXT_HOP, AS_PATH, MED or LOCAL_PREF, even with nextHopSelf (RFC 4456 §10)', () => {
    const src = source('ibgp-client');
    const attrs = attrsFor('ibgp-client', { asPath: [{ type: 2, asns: [65100] }] });
    const s = sent(exportPath(path4(src, attrs), target('ibgp-client', { nextHopSelf: true })));
    expect(s.nextHop).toBe(ip('10.0.0.11'));
    expect(s.attrs).toEqual({ ...attrs, originatorId: src.bgpId, clusterList: [CLUSTER_ID] });
  });

  it('never sends a path back to the peer it came from (split horizon)', () => {
    const src = source('ibgp-client');
    expect(exportPath(path4(src, attrsFor('ibgp-client')), target('ibgp-client', { id: src.id }))).toEqual({ action: 'skip', reason: 'same-peer' });
    const e = source('ebgp');
    expect(exportPath(path4(e, attrsFor('ebgp')), target('ebgp', { id: e.id }))).toEqual({ action: 'skip', reason: 'same-peer' });
  });

  it('skips a reflected path whose originator is the target, when the target BGP id is known', () => {
    const src = source('ibgp-client');
    const attrs = attrsFor('ibgp-client', { originatorId: ip('10.0.0.12') });
    expect(exportPath(path4(src, attrs), target('ibgp-client', { peerBgpId: ip('10.0.0.12') }))).toEqual({ action: 'skip', reason: 'originator-is-target' });
    expect(exportPath(path4(src, attrsFor('ibgp-client')), target('ibgp-client', { peerBgpId: src.bgpId }))).toEqual({ action: 'skip', reason: 'originator-is-target' });
    expect(exportPath(path4(src, attrs), target('ibgp-client', { peerBgpId: ip('10.0.0.13') })).action).toBe('send');
  });

  it('supplies LOCAL_PREF 100 when a reflected iBGP path arrived without one', () => {
    const src = source('ibgp-client');
    const attrs = attrsFor('ibgp-client');
    delete attrs.localPref;
    expect(sent(exportPath(path4(src, attrs), target('ibgp-client'))).attrs.localPref).toBe(100);
  });
});

describe('towards eBGP (RFC 4271 §5.1)', () => {
  function toEbgp(asPath: AsPathSegment[]): AsPathSegment[] {
    const src = source('ebgp');
    return sent(exportPath(path4(src, attrsFor('ebgp', { asPath })), target('ebgp'))).attrs.asPath;
  }

  it('prepends our AS to the leading AS_SEQUENCE', () => {
    expect(toEbgp([{ type: 2, asns: [65100, 65101] }, { type: 1, asns: [1, 2] }])).toEqual([
      { type: 2, asns: [LOCAL_AS, 65100, 65101] },
      { type: 1, asns: [1, 2] },
    ]);
  });

  it('starts a new AS_SEQUENCE for an empty path, a leading AS_SET, or a full leading segment', () => {
    expect(toEbgp([])).toEqual([{ type: 2, asns: [LOCAL_AS] }]);
    expect(toEbgp([{ type: 1, asns: [7, 8] }])).toEqual([{ type: 2, asns: [LOCAL_AS] }, { type: 1, asns: [7, 8] }]);
    const full = Array.from({ length: 255 }, (_, i) => 64512 + i);
    expect(toEbgp([{ type: 2, asns: full }])).toEqual([{ type: 2, asns: [LOCAL_AS] }, { type: 2, asns: full }]);
    const almost = full.slice(1);
    expect(toEbgp([{ type: 2, asns: almost }])).toEqual([{ type: 2, asns: [LOCAL_AS, ...almost] }]);
  });

  it('removes confederation segments, which never leave a confederation (RFC 5065 §5.3)', () => {
    expect(toEbgp([{ type: 3, asns: [64512] }, { type: 2, asns: [65100] }])).toEqual([{ type: 2, asns: [LOCAL_AS, 65100] }]);
  });

  it('strips LOCAL_PREF, ORIGINATOR_ID and CLUSTER_LIST', () => {
    const src = source('ibgp-client');
    const attrs = attrsFor('ibgp-client', { originatorId: ip('10.9.9.9'), clusterList: [ip('10.0.0.200')] });
    const s = sent(exportPath(path4(src, attrs), target('ebgp')));
    expect(s.attrs.localPref).toBeUndefined();
    expect(s.attrs.originatorId).toBeUndefined();
    expect(s.attrs.clusterList).toBeUndefined();
    expect('localPref' in s.attrs).toBe(false);
  });

  it('does not pass on a MED learned from another AS or from iBGP, but sends a locally originated one (RFC 4271 §5.1.4)', () => {
    for (const kind of ['ebgp', 'ibgp-client', 'ibgp-nonclient'] as const) {
      const s = sent(exportPath(path4(source(kind), attrsFor(kind, { med: 10 })), target('ebgp')));
      expect(s.attrs.med, kind).toBeUndefined();
    }
    const local = sent(exportPath(path4(source('local'), attrsFor('local', { med: 10 })), target('ebgp')));
    expect(local.attrs.med).toBe(10);
  });

  it('uses our address as next hop, or keeps the received one with nextHopKeep (route servers)', () => {
    const src = source('ebgp');
    const attrs = attrsFor('ebgp');
    const self = sent(exportPath(path4(src, attrs), target('ebgp')));
    expect(self.nextHop).toBe(ip('10.0.0.1'));
    expect(self.attrs.nextHop).toBe(ip('10.0.0.1'));
    const keep = sent(exportPath(path4(src, attrs), target('ebgp', { nextHopKeep: true })));
    expect(keep.nextHop).toBe(ip('192.0.2.1'));
    expect(keep.attrs.nextHop).toBe(ip('192.0.2.1'));
    const local = sent(exportPath(path4(source('local'), attrsFor('local')), target('ebgp', { nextHopKeep: true })));
    expect(local.nextHop).toBe(ip('10.0.0.1'));
  });

  it('sends the global and link-local IPv6 next hop self, and drops a foreign link-local when keeping', () => {
    const src = source('ebgp');
    const attrs = attrsFor('ebgp', { nextHop: ip('192.0.2.1') });
    const self = sent(exportPath(path6(src, attrs, '2001:db8:1::1', 'fe80::99'), target('ebgp')));
    expect(self).toMatchObject({ nextHop: '2001:db8::1', linkLocalNextHop: 'fe80::1' });
    // RFC 4760 §3: an IPv6-only UPDATE carries no NEXT_HOP attribute
    expect(self.attrs.nextHop).toBeUndefined();
    const keep = sent(exportPath(path6(src, attrs, '2001:db8:1::1', 'fe80::99'), target('ebgp', { nextHopKeep: true })));
    expect(keep.nextHop).toBe('2001:db8:1::1');
    expect(keep.linkLocalNextHop).toBeUndefined();
  });

  it('skips when next hop self is due but we have no address of that family', () => {
    const r = exportPath(path6(source('ebgp'), attrsFor('ebgp'), '2001:db8:1::1'), target('ebgp', { localAddress: { ipv4: ip('10.0.0.1') } }));
    expect(r).toEqual({ action: 'skip', reason: 'no-local-next-hop' });
  });

  it('with sender-side loop detection, skips paths that already hold the target AS', () => {
    const src = source('ebgp');
    const attrs = attrsFor('ebgp', { asPath: [{ type: 2, asns: [65100, 65200] }] });
    expect(exportPath(path4(src, attrs), target('ebgp')).action).toBe('send');
    expect(exportPath(path4(src, attrs), target('ebgp', { senderSideLoopDetection: true }))).toEqual({ action: 'skip', reason: 'peer-as-in-path' });
  });
});

describe('towards iBGP from eBGP or local', () => {
  it('passes an eBGP route on unchanged, the very same attribute object, when LOCAL_PREF is set', () => {
    const attrs = attrsFor('ebgp', { localPref: 120 });
    const s = sent(exportPath(path4(source('ebgp'), attrs), target('ibgp-nonclient')));
    expect(s.attrs).toBe(attrs);
    expect(s.nextHop).toBe(ip('192.0.2.1'));
  });

  it('sets LOCAL_PREF 100 when absent and keeps MED', () => {
    const s = sent(exportPath(path4(source('ebgp'), attrsFor('ebgp')), target('ibgp-client')));
    expect(s.attrs.localPref).toBe(100);
    expect(s.attrs.med).toBe(50);
    expect(s.attrs.asPath).toEqual([{ type: 2, asns: [65100] }]);
  });

  it('uses next hop self for eBGP routes only when the peer asks for it', () => {
    const s = sent(exportPath(path4(source('ebgp'), attrsFor('ebgp')), target('ibgp-nonclient', { nextHopSelf: true })));
    expect(s.nextHop).toBe(ip('10.0.0.1'));
    expect(s.attrs.nextHop).toBe(ip('10.0.0.1'));
  });

  it('always uses next hop self for local routes', () => {
    const s = sent(exportPath(path4(source('local'), attrsFor('local')), target('ibgp-nonclient')));
    expect(s.nextHop).toBe(ip('10.0.0.1'));
    expect(s.attrs).toMatchObject({ nextHop: ip('10.0.0.1'), localPref: 100 });
    const s6 = sent(exportPath(path6(source('local'), attrsFor('local'), '::'), target('ibgp-client')));
    expect(s6).toMatchObject({ nextHop: '2001:db8::1', linkLocalNextHop: 'fe80::1' });
  });

  it('drops ORIGINATOR_ID and CLUSTER_LIST an eBGP peer sent', () => {
    const attrs = attrsFor('ebgp', { localPref: 100, originatorId: 1, clusterList: [2] });
    const s = sent(exportPath(path4(source('ebgp'), attrs), target('ibgp-client')));
    expect(s.attrs.originatorId).toBeUndefined();
    expect(s.attrs.clusterList).toBeUndefined();
  });

  it('writes the path next hop into NEXT_HOP when an IPv4 route came in MP_REACH with another one', () => {
    const attrs = attrsFor('ebgp', { localPref: 100 });
    const s = sent(exportPath(path4(source('ebgp'), attrs, ip('192.0.2.77')), target('ibgp-client')));
    expect(s.nextHop).toBe(ip('192.0.2.77'));
    expect(s.attrs.nextHop).toBe(ip('192.0.2.77'));
  });
});

describe('well-known communities (RFC 1997)', () => {
  const table: [string, number, TargetKind, 'send' | string][] = [
    ['NO_ADVERTISE', NO_ADVERTISE, 'ebgp', 'no-advertise'],
    ['NO_ADVERTISE', NO_ADVERTISE, 'ibgp-client', 'no-advertise'],
    ['NO_ADVERTISE', NO_ADVERTISE, 'ibgp-nonclient', 'no-advertise'],
    ['NO_EXPORT', NO_EXPORT, 'ebgp', 'no-export'],
    ['NO_EXPORT', NO_EXPORT, 'ibgp-client', 'send'],
    ['NO_EXPORT', NO_EXPORT, 'ibgp-nonclient', 'send'],
    ['NO_EXPORT_SUBCONFED', NO_EXPORT_SUBCONFED, 'ebgp', 'no-export-subconfed'],
    ['NO_EXPORT_SUBCONFED', NO_EXPORT_SUBCONFED, 'ibgp-client', 'send'],
    ['NO_PEER (advisory)', NO_PEER, 'ebgp', 'send'],
  ];
  it.each(table)('%s to %s: %s', (_name, community, to, expected) => {
    const attrs: PathAttributes = attrsFor('ebgp', { communities: [65000 * 65536 + 1, community] });
    const r = exportPath(path4(source('ebgp'), attrs), target(to));
    if (expected === 'send') {
      expect(r.action).toBe('send');
      expect(sent(r).attrs.communities).toEqual(attrs.communities);
    } else expect(r).toEqual({ action: 'skip', reason: expected });
  });

  it('honours NO_EXPORT on locally originated routes too', () => {
    const r = exportPath(path4(source('local'), attrsFor('local', { communities: [NO_EXPORT] })), target('ebgp'));
    expect(r).toEqual({ action: 'skip', reason: 'no-export' });
  });
});
