// The daemon's YAML configuration, validated with zod. Every field has a documented default;
// unknown keys are errors (a typo must not silently change behaviour).
import { isIPv4 } from 'node:net';
import { parsePrefix, InvalidPrefixError } from '../lib/prefix.js';
import { parseCidr } from '../ipam/cidr.js';
import { reservedOverlap } from '../ipam/reserved.js';
import { maxPrefixesSchema, policiesSchema, policyName } from '../policy/schema.js';

import { asn, holdTime, intRange, ipAddress, ipv4, ipv6, labels } from './fields.js';
import * as z from './zod.js';
const family = z.enum(['ipv4-unicast', 'ipv6-unicast']);

const prefix = z.string().check(
  z.superRefine((s, ctx) => {
    try {
      parsePrefix(s);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: e instanceof InvalidPrefixError ? e.why : String(e) });
    }
  }),
);

/** A pod pool: a prefix clear of the ranges no pod can use (loopback, link-local, multicast…). */
const podPool = prefix.check(
  z.superRefine((s, ctx) => {
    let pool;
    try {
      pool = parseCidr(s);
    } catch {
      return; // `prefix` has said what is wrong
    }
    const why = reservedOverlap(pool);
    if (why !== undefined) ctx.addIssue({ code: 'custom', message: why });
  }),
);

const flag = (value: boolean): z.ZodMiniDefault<z.ZodMiniBoolean<boolean>> => z._default(z.boolean(), value);

export const peerSchema = z
  .strictObject({
    name: z.optional(z.string().check(z.minLength(1), z.maxLength(64), z.regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, "_", "." and "-" only'))),
    address: ipAddress,
    asn,
    port: z._default(intRange(1, 65535), 179),
    passive: flag(false),
    rrClient: flag(false),
    holdTime: z._default(holdTime, 90),
    connectRetryTime: z._default(intRange(1, 3600), 5),
    /** RFC 4271 DelayOpen for connections the peer opens, seconds (0: off); see SessionConfig */
    delayOpenTime: z._default(intRange(0, 240), 0),
    families: z.optional(z.array(family).check(z.minLength(1))),
    localAddress: z.optional(ipAddress),
    gracefulRestart: flag(true),
    /** IPv6 next hop to announce when IPv6 routes go over an IPv4 session */
    nextHop6: z.optional(ipv6),
    /** name of a policy in `policies:` applied to routes received from this peer (absent: accept all) */
    importPolicy: z.optional(policyName),
    /** name of a policy in `policies:` applied to routes sent to this peer (absent: accept all) */
    exportPolicy: z.optional(policyName),
    maxPrefixes: z.optional(maxPrefixesSchema),
    /** next hop self towards this iBGP peer for routes learned from eBGP (never for reflected routes) */
    nextHopSelf: flag(false),
    /** keep the received next hop towards this eBGP peer (route servers) */
    nextHopKeep: flag(false),
    /** accept eBGP routes with our own AS in AS_PATH up to this many times (0: drop them) */
    allowOwnAs: z._default(intRange(0, 10), 0),
  })
  .check(z.refine((p) => !(p.nextHopSelf && p.nextHopKeep), { message: 'nextHopSelf and nextHopKeep exclude each other', path: ['nextHopKeep'] }));

export const configSchema = z
  .strictObject({
    asn,
    routerId: ipv4,
    hostname: z.optional(z.string().check(z.maxLength(64))),
    listen: z._default(
      z.strictObject({
        address: z.optional(ipAddress),
        port: z._default(intRange(0, 65535), 179),
      }),
      { port: 179 },
    ),
    clusterId: z.optional(ipv4),
    originate: z._default(z.array(prefix), []),
    gracefulRestartTime: z._default(intRange(1, 4095), 120),
    /** compare MED between paths from different neighbouring ASes too */
    alwaysCompareMed: flag(false),
    /** most equal-cost paths kept per prefix for ECMP */
    maxPaths: z._default(intRange(1, 64), 16),
    /**
     * how next hops are resolved: 'kernel' (the kernel's routing table: connected subnets,
     * static and other daemons' routes, never Wren's own), 'connected' (subnets of this host's
     * interfaces), 'any' (every next hop usable). Absent: 'kernel' with the kernel programmer
     * on, else 'connected' (see nextHopResolutionOf).
     */
    nextHopResolution: z.optional(z.enum(['kernel', 'connected', 'any'])),
    metrics: z.optional(z.strictObject({ listen: z.string().check(z.regex(/^(\[[0-9a-fA-F:.]+\]|[0-9.]+|localhost):\d{1,5}$/, 'must be HOST:PORT')) })),
    kernel: z._default(
      z.strictObject({
        /** install the best routes into the kernel (node daemons); reflectors usually leave it off */
        enabled: flag(false),
        /** kernel routing table (254 = main) */
        table: z._default(intRange(1, 4294967295), 254),
        /** routing protocol number marking Wren's routes; everything with it is Wren's */
        protocol: z._default(intRange(1, 255).check(z.refine((n) => ![1, 2, 3, 4].includes(n), { message: 'must not be a kernel-reserved protocol (1-4)' })), 199),
        /** remove Wren's routes from the kernel when the daemon exits (default: they stay) */
        flushOnExit: flag(false),
        /** seconds between full resyncs with the kernel */
        resyncInterval: z._default(intRange(5, 86400), 90),
        /** seconds to wait for End-of-RIB from every peer before stale kernel routes are removed */
        convergeTimeout: z._default(intRange(1, 3600), 120),
        /**
         * where kernel writes are sent from: 'auto' (the main thread until the first burst of
         * 2048 requests, then a worker thread), 'worker' (a worker from the start: a full table
         * lands sooner, for ~8 MB more memory), 'main' (never a worker)
         */
        writer: z._default(z.enum(['auto', 'worker', 'main']), 'auto'),
      }),
      { enabled: false, table: 254, protocol: 199, flushOnExit: false, resyncInterval: 90, convergeTimeout: 120, writer: 'auto' },
    ),
    pods: z._default(
      z.strictObject({
        /** IPv4 pool for `wren pod add` without --ip (single-node mode; cluster mode uses IPAM) */
        pool: z.optional(podPool.check(z.refine((s) => !s.includes(':'), { message: 'must be an IPv4 prefix' }))),
        /** IPv6 pool: pods get a /128 from it too (dual stack), or only it when `pool` is absent */
        pool6: z.optional(podPool.check(z.refine((s) => s.includes(':'), { message: 'must be an IPv6 prefix' }))),
        /** advertise the pools as one route each (with a blackhole) instead of a /32 (/128) per pod */
        aggregate: flag(false),
        /** host-side veth names: this prefix plus a hash of the pod id (15 characters in all) */
        interfacePrefix: z._default(z.string().check(z.regex(/^[a-z][a-z0-9]{1,7}$/, '2 to 8 lowercase letters or digits, starting with a letter')), 'wren'),
        /** where the pods of this node are remembered across restarts */
        stateFile: z._default(z.string().check(z.minLength(1)), '/var/lib/wren/pods.json'),
        /** rp_filter on host-side veths (absent: the kernel's default) */
        rpFilter: z.optional(z.union([z.literal(0), z.literal(1), z.literal(2)])),
      }),
      { aggregate: false, interfacePrefix: 'wren', stateFile: '/var/lib/wren/pods.json' },
    ),
    /** cluster mode: the shared datastore (absent: a single node configured by this file) */
    datastore: z.optional(
      z.strictObject({
        etcd: z.strictObject({
          endpoints: z.array(z.string().check(z.regex(/^(https?:\/\/)?[^\s/]+:\d{1,5}$/, 'must be [http[s]://]HOST:PORT'))).check(z.minLength(1)),
          tls: z.optional(
            z.strictObject({
              ca: z.string().check(z.minLength(1)),
              cert: z.optional(z.string().check(z.minLength(1))),
              key: z.optional(z.string().check(z.minLength(1))),
            }),
          ),
          username: z.optional(z.string().check(z.minLength(1))),
          password: z.optional(z.string()),
        }),
      }),
    ),
    /** this node in the cluster (only with `datastore`) */
    cluster: z.optional(
      z.strictObject({
        /** the node's name in the cluster (default: the host name) */
        nodeName: z.optional(z.string().check(z.minLength(1), z.maxLength(253), z.regex(/^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/, 'letters, digits, ".", "_" and "-"'))),
        /** this node's IPv6 address: IPv6 pod routes are carried over the IPv4 sessions with it as next hop */
        ipv6: z.optional(ipv6),
        /** labels for peer selectors; merged over labels already on the node record */
        labels: z._default(labels, {}),
        /** makes this node a route reflector with this RFC 4456 cluster ID */
        routeReflectorClusterId: z.optional(ipv4),
        /** seconds the liveness lease lasts without a keep-alive */
        leaseTtl: z._default(intRange(2, 3600), 10),
        /** seconds a node whose lease ended is still peered with (its routes kept meanwhile) */
        deadNodeGrace: z._default(intRange(0, 86400), 120),
        /** seconds before a released pod address is handed out again (oldest freed first) */
        addressCooldown: z._default(intRange(0, 86400), 30),
        /** seconds between IPAM garbage collection passes (each 0.5-1.5 times this, at random) */
        ipamGcInterval: z._default(intRange(5, 86400), 60),
      }),
    ),
    peers: z._default(z.array(peerSchema), []),
    /** named import/export policies, see src/policy/schema.ts */
    policies: policiesSchema,
  })
  .check(
    z.superRefine((cfg, ctx) => {
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
    }),
  );

export type WrenConfig = z.output<typeof configSchema>;
export type PeerConfig = z.output<typeof peerSchema>;

/** The next-hop resolution in effect: the configured one, else 'kernel' when Wren programs the kernel. */
export function nextHopResolutionOf(cfg: Pick<WrenConfig, 'nextHopResolution' | 'kernel'>): 'kernel' | 'connected' | 'any' {
  return cfg.nextHopResolution ?? (cfg.kernel.enabled ? 'kernel' : 'connected');
}
