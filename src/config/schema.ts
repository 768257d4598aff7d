// The daemon's YAML configuration, validated with zod. Every field has a documented default;
// unknown keys are errors (a typo must not silently change behaviour).
import { z } from 'zod';
import { isIPv4, isIPv6 } from 'node:net';
import { parsePrefix, InvalidPrefixError } from '../lib/prefix.js';
import { maxPrefixesSchema, policiesSchema, policyName } from '../policy/schema.js';

import { asn, holdTime, ipAddress, ipv4, labels } from './fields.js';
const family = z.enum(['ipv4-unicast', 'ipv6-unicast']);

const prefix = z.string().superRefine((s, ctx) => {
  try {
    parsePrefix(s);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: e instanceof InvalidPrefixError ? e.why : String(e) });
  }
});

export const peerSchema = z
  .object({
    name: z.string().min(1).max(64).regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, "_", "." and "-" only').optional(),
    address: ipAddress,
    asn,
    port: z.number().int().min(1).max(65535).default(179),
    passive: z.boolean().default(false),
    rrClient: z.boolean().default(false),
    holdTime: holdTime.default(90),
    connectRetryTime: z.number().int().min(1).max(3600).default(5),
    families: z.array(family).min(1).optional(),
    localAddress: ipAddress.optional(),
    gracefulRestart: z.boolean().default(true),
    /** IPv6 next hop to announce when IPv6 routes go over an IPv4 session */
    nextHop6: z.string().refine((s) => isIPv6(s), { message: 'must be an IPv6 address' }).optional(),
    /** name of a policy in `policies:` applied to routes received from this peer (absent: accept all) */
    importPolicy: policyName.optional(),
    /** name of a policy in `policies:` applied to routes sent to this peer (absent: accept all) */
    exportPolicy: policyName.optional(),
    maxPrefixes: maxPrefixesSchema.optional(),
    /** next hop self towards this iBGP peer for routes learned from eBGP (never for reflected routes) */
    nextHopSelf: z.boolean().default(false),
    /** keep the received next hop towards this eBGP peer (route servers) */
    nextHopKeep: z.boolean().default(false),
    /** accept eBGP routes with our own AS in AS_PATH up to this many times (0: drop them) */
    allowOwnAs: z.number().int().min(0).max(10).default(0),
  })
  .strict()
  .refine((p) => !(p.nextHopSelf && p.nextHopKeep), { message: 'nextHopSelf and nextHopKeep exclude each other', path: ['nextHopKeep'] });

export const configSchema = z
  .object({
    asn,
    routerId: ipv4,
    hostname: z.string().max(64).optional(),
    listen: z
      .object({
        address: ipAddress.optional(),
        port: z.number().int().min(0).max(65535).default(179),
      })
      .strict()
      .default({ port: 179 }),
    clusterId: ipv4.optional(),
    originate: z.array(prefix).default([]),
    gracefulRestartTime: z.number().int().min(1).max(4095).default(120),
    /** compare MED between paths from different neighbouring ASes too */
    alwaysCompareMed: z.boolean().default(false),
    /** most equal-cost paths kept per prefix for ECMP */
    maxPaths: z.number().int().min(1).max(64).default(16),
    /** how next hops are resolved: connected subnets of this host, or every next hop usable */
    nextHopResolution: z.enum(['connected', 'any']).default('connected'),
    metrics: z
      .object({ listen: z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[0-9.]+|localhost):\d{1,5}$/, 'must be HOST:PORT') })
      .strict()
      .optional(),
    kernel: z
      .object({
        /** install the best routes into the kernel (node daemons); reflectors usually leave it off */
        enabled: z.boolean().default(false),
        /** kernel routing table (254 = main) */
        table: z.number().int().min(1).max(4294967295).default(254),
        /** routing protocol number marking Wren's routes; everything with it is Wren's */
        protocol: z.number().int().min(1).max(255).refine((n) => ![1, 2, 3, 4].includes(n), { message: 'must not be a kernel-reserved protocol (1-4)' }).default(199),
        /** remove Wren's routes from the kernel when the daemon exits (default: they stay) */
        flushOnExit: z.boolean().default(false),
        /** seconds between full resyncs with the kernel */
        resyncInterval: z.number().int().min(5).max(86400).default(90),
        /** seconds to wait for End-of-RIB from every peer before stale kernel routes are removed */
        convergeTimeout: z.number().int().min(1).max(3600).default(120),
      })
      .strict()
      .default({ enabled: false, table: 254, protocol: 199, flushOnExit: false, resyncInterval: 90, convergeTimeout: 120 }),
    pods: z
      .object({
        /** IPv4 pool for `wren pod add` without --ip (single-node mode; cluster mode uses IPAM) */
        pool: prefix.refine((s) => !s.includes(':'), { message: 'must be an IPv4 prefix' }).optional(),
        /** IPv6 pool: pods get a /128 from it too (dual stack), or only it when `pool` is absent */
        pool6: prefix.refine((s) => s.includes(':'), { message: 'must be an IPv6 prefix' }).optional(),
        /** advertise the pools as one route each (with a blackhole) instead of a /32 (/128) per pod */
        aggregate: z.boolean().default(false),
        /** host-side veth names: this prefix plus a hash of the pod id (15 characters in all) */
        interfacePrefix: z.string().regex(/^[a-z][a-z0-9]{1,7}$/, '2 to 8 lowercase letters or digits, starting with a letter').default('wren'),
        /** where the pods of this node are remembered across restarts */
        stateFile: z.string().min(1).default('/var/lib/wren/pods.json'),
        /** rp_filter on host-side veths (absent: the kernel's default) */
        rpFilter: z.union([z.literal(0), z.literal(1), z.literal(2)]).optional(),
      })
      .strict()
      .default({ aggregate: false, interfacePrefix: 'wren', stateFile: '/var/lib/wren/pods.json' }),
    /** cluster mode: the shared datastore (absent: a single node configured by this file) */
    datastore: z
      .object({
        etcd: z
          .object({
            endpoints: z.array(z.string().regex(/^(https?:\/\/)?[^\s/]+:\d{1,5}$/, 'must be [http[s]://]HOST:PORT')).min(1),
            tls: z.object({ ca: z.string().min(1), cert: z.string().min(1).optional(), key: z.string().min(1).optional() }).strict().optional(),
            username: z.string().min(1).optional(),
            password: z.string().optional(),
          })
          .strict(),
      })
      .strict()
      .optional(),
    /** this node in the cluster (only with `datastore`) */
    cluster: z
      .object({
        /** the node's name in the cluster (default: the host name) */
        nodeName: z.string().min(1).max(253).regex(/^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/, 'letters, digits, ".", "_" and "-"').optional(),
        /** this node's IPv6 address: IPv6 pod routes are carried over the IPv4 sessions with it as next hop */
        ipv6: z.string().refine((s) => isIPv6(s), { message: 'must be an IPv6 address' }).optional(),
        /** labels for peer selectors; merged over labels already on the node record */
        labels: labels.default({}),
        /** makes this node a route reflector with this RFC 4456 cluster ID */
        routeReflectorClusterId: ipv4.optional(),
        /** seconds the liveness lease lasts without a keep-alive */
        leaseTtl: z.number().int().min(2).max(3600).default(10),
        /** seconds a node whose lease ended is still peered with (its routes kept meanwhile) */
        deadNodeGrace: z.number().int().min(0).max(86400).default(120),
        /** seconds before a released pod address is handed out again (oldest freed first) */
        addressCooldown: z.number().int().min(0).max(86400).default(30),
      })
      .strict()
      .optional(),
    peers: z.array(peerSchema).default([]),
    /** named import/export policies, see src/policy/schema.ts */
    policies: policiesSchema,
  })
  .strict()
  .superRefine((cfg, ctx) => {
    if (cfg.cluster && !cfg.datastore) ctx.addIssue({ code: 'custom', path: ['cluster'], message: 'needs datastore (cluster mode)' });
    const tls = cfg.datastore?.etcd.tls;
    if (tls && (tls.cert === undefined) !== (tls.key === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['datastore', 'etcd', 'tls'], message: 'cert and key go together' });
    }
    cfg.peers.forEach((p, i) => {
      for (const field of ['importPolicy', 'exportPolicy'] as const) {
        const name = p[field];
        if (name !== undefined && !Object.hasOwn(cfg.policies, name)) {
          ctx.addIssue({ code: 'custom', path: ['peers', i, field], message: `no policy named "${name}" in policies` });
        }
      }
    });
    const seen = new Map<string, number>();
    cfg.peers.forEach((p, i) => {
      const prev = seen.get(p.address);
      if (prev !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['peers', i, 'address'], message: `duplicate peer address (also peers[${prev}])` });
      }
      seen.set(p.address, i);
      if (p.localAddress && isIPv4(p.localAddress) !== isIPv4(p.address)) {
        ctx.addIssue({ code: 'custom', path: ['peers', i, 'localAddress'], message: 'must be the same address family as address' });
      }
    });
    const names = new Map<string, number>();
    cfg.peers.forEach((p, i) => {
      if (!p.name) return;
      const prev = names.get(p.name);
      if (prev !== undefined) ctx.addIssue({ code: 'custom', path: ['peers', i, 'name'], message: `duplicate peer name (also peers[${prev}])` });
      names.set(p.name, i);
    });
  });

export type WrenConfig = z.output<typeof configSchema>;
export type PeerConfig = z.output<typeof peerSchema>;
