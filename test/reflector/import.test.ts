import { describe, expect, it } from 'vitest';
import { importCheck, sanitizeFromEbgp, type ImportLocal } from '../../src/reflector/import.js';
import { attrsFor, CLUSTER_ID, ip, LOCAL_AS, path4, ROUTER_ID, source } from './helpers.js';

const local: ImportLocal = { asn: LOCAL_AS, routerId: ROUTER_ID, clusterId: CLUSTER_ID, allowOwnAs: 0 };

describe('import loop checks', () => {
  it('drops an iBGP path whose ORIGINATOR_ID is our router ID (RFC 4456 §8)', () => {
    const p = path4(source('ibgp-nonclient'), attrsFor('ibgp-nonclient', { originatorId: ROUTER_ID, clusterList: [ip('10.0.0.200')] }));
    expect(importCheck(p, local)).toEqual({ ok: false, reason: 'originator-id-is-self' });
  });

  it('drops an iBGP path whose CLUSTER_LIST holds our cluster ID (RFC 4456 §8)', () => {
    const p = path4(source('ibgp-client'), attrsFor('ibgp-client', { originatorId: ip('10.0.0.12'), clusterList: [ip('10.0.0.200'), CLUSTER_ID] }));
    expect(importCheck(p, local)).toEqual({ ok: false, reason: 'cluster-list-loop' });
  });

  it('accepts a path reflected by another cluster', () => {
    const p = path4(source('ibgp-nonclient'), attrsFor('ibgp-nonclient', { originatorId: ip('10.0.0.12'), clusterList: [ip('10.0.0.200')] }));
    expect(importCheck(p, local)).toEqual({ ok: true });
  });

  it('drops an eBGP path with our AS in AS_PATH, AS_SETs included (RFC 4271 §9.1.2)', () => {
    const seq = path4(source('ebgp'), attrsFor('ebgp', { asPath: [{ type: 2, asns: [65100, LOCAL_AS, 65300] }] }));
    expect(importCheck(seq, local)).toEqual({ ok: false, reason: 'own-as-in-path' });
    const set = path4(source('ebgp'), attrsFor('ebgp', { asPath: [{ type: 2, asns: [65100] }, { type: 1, asns: [1, LOCAL_AS] }] }));
    expect(importCheck(set, local)).toEqual({ ok: false, reason: 'own-as-in-path' });
  });

  it('tolerates our AS up to allowOwnAs times', () => {
    const once = path4(source('ebgp'), attrsFor('ebgp', { asPath: [{ type: 2, asns: [65100, LOCAL_AS] }] }));
    const twice = path4(source('ebgp'), attrsFor('ebgp', { asPath: [{ type: 2, asns: [65100, LOCAL_AS, LOCAL_AS] }] }));
    expect(importCheck(once, { ...local, allowOwnAs: 1 })).toEqual({ ok: true });
    expect(importCheck(twice, { ...local, allowOwnAs: 1 })).toEqual({ ok: false, reason: 'own-as-in-path' });
    expect(importCheck(twice, { ...local, allowOwnAs: 2 })).toEqual({ ok: true });
  });

  it('applies the own-AS check to eBGP paths only, the RR checks to iBGP paths only', () => {
    const ibgp = path4(source('ibgp-client'), attrsFor('ibgp-client', { asPath: [{ type: 2, asns: [LOCAL_AS] }] }));
    expect(importCheck(ibgp, local)).toEqual({ ok: true });
    const ebgp = path4(source('ebgp'), attrsFor('ebgp', { originatorId: ROUTER_ID }));
    expect(importCheck(ebgp, local)).toEqual({ ok: true });
    const own = path4(source('local'), attrsFor('local', { originatorId: ROUTER_ID }));
    expect(importCheck(own, local)).toEqual({ ok: true });
  });
});

describe('sanitizeFromEbgp', () => {
  it('returns the same object when nothing must go', () => {
    const attrs = attrsFor('ebgp');
    expect(sanitizeFromEbgp(attrs)).toBe(attrs);
  });

  it('ignores LOCAL_PREF (RFC 4271 §5.1.5) and discards ORIGINATOR_ID and CLUSTER_LIST (RFC 7606 §7.9/§7.10)', () => {
    const attrs = attrsFor('ebgp', { localPref: 500, originatorId: 1, clusterList: [2] });
    const out = sanitizeFromEbgp(attrs);
    expect(out).toEqual(attrsFor('ebgp'));
    expect(Object.keys(out)).not.toContain('localPref');
    expect(attrs.localPref).toBe(500);
  });
});
