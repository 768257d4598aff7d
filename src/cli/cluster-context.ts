// What every etcd-side CLI command shares: reaching etcd (fast failure when it does not answer),
// turning named errors into a one-line message and an exit code, and printing table or JSON.
//
// Exit codes: 0 done; 1 the operation failed (a check found problems, a conflict, a server-side
// error); 2 bad input or a state the input does not fit (malformed CIDR, unknown node, overlap,
// cluster not initialised); 3 etcd unreachable.

import { isDeepStrictEqual } from 'node:util';
import {
  DatastoreConfigError,
  DatastoreError,
  DatastoreFailedError,
  DatastoreUnavailableError,
  EtcdHttpDatastore,
  type Datastore,
  type EtcdHttpDatastoreInit as EtcdDatastoreInit,
} from '../datastore/index.js';
import { InvalidKeyError, keys } from '../datastore/keys.js';
import { ClusterError, ClusterRecordError, InvalidSelectorError, parseClusterConfig, type ClusterConfig } from '../cluster/index.js';
import { IpamError, type IpamErrorCode } from '../ipam/index.js';
import { InvalidPrefixError } from '../lib/prefix.js';

export const DEFAULT_ETCD_ENDPOINT = 'http://127.0.0.1:2379';
/** Budget to reach etcd and to get an answer: an unreachable etcd fails within ~4 s. */
const DIAL_TIMEOUT_MS = 1_500;
const REQUEST_TIMEOUT_MS = 2_500;

export type OutputFormat = 'table' | 'json';

export interface EtcdOptions {
  etcd?: string;
  output?: OutputFormat;
}

/** Bad input, or a cluster state the input does not fit: exit 2. */
export class CliInputError extends Error {
  override readonly name = 'CliInputError';
  readonly code = 'cli-input';
}

/** The operation ran and failed (e.g. `ipam check` found problems): exit 1, message printed. */
export class CliFailedError extends Error {
  override readonly name = 'CliFailedError';
  readonly code = 'cli-failed';
}

const INPUT_IPAM_ERRORS: ReadonlySet<IpamErrorCode> = new Set([
  'ipam-invalid-pool',
  'ipam-pool-overlap',
  'ipam-no-pool',
  'ipam-address-outside-pools',
  'ipam-address-in-use',
  'ipam-node-live',
  'ipam-unknown-pool',
  'ipam-pool-in-use',
]);

/** `--etcd a,b` or WREN_ETCD_ENDPOINTS, validated. TLS and auth come from the environment
 * (WREN_ETCD_CA, WREN_ETCD_CERT, WREN_ETCD_KEY, WREN_ETCD_USERNAME, WREN_ETCD_PASSWORD). */
export function etcdInit(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): EtcdDatastoreInit {
  const text = flag ?? env.WREN_ETCD_ENDPOINTS ?? DEFAULT_ETCD_ENDPOINT;
  const source = flag !== undefined ? '--etcd' : env.WREN_ETCD_ENDPOINTS !== undefined ? 'WREN_ETCD_ENDPOINTS' : 'default';
  const endpoints = text
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (endpoints.length === 0) throw new CliInputError(`${source}: no etcd endpoint given`);
  for (const e of endpoints) {
    if (!/^(https?:\/\/)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}\/?$/.test(e)) {
      throw new CliInputError(`${source}: "${e}" is not an etcd endpoint (expected http://HOST:PORT)`);
    }
  }
  const init: EtcdDatastoreInit = { endpoints, dialTimeoutMs: DIAL_TIMEOUT_MS, requestTimeoutMs: REQUEST_TIMEOUT_MS };
  if (env.WREN_ETCD_CA !== undefined) {
    init.tls = {
      ca: env.WREN_ETCD_CA,
      ...(env.WREN_ETCD_CERT === undefined ? {} : { cert: env.WREN_ETCD_CERT }),
      ...(env.WREN_ETCD_KEY === undefined ? {} : { key: env.WREN_ETCD_KEY }),
    };
  }
  if (env.WREN_ETCD_USERNAME !== undefined) init.username = env.WREN_ETCD_USERNAME;
  if (env.WREN_ETCD_PASSWORD !== undefined) init.password = env.WREN_ETCD_PASSWORD;
  return init;
}

/** Runs a command against etcd: connects, runs, closes, and maps errors to exit codes. */
export async function withEtcd(opts: EtcdOptions, fn: (store: Datastore) => Promise<void>): Promise<void> {
  let store: EtcdHttpDatastore | undefined;
  try {
    store = new EtcdHttpDatastore(etcdInit(opts.etcd));
    await fn(store);
  } catch (e) {
    const [code, message] = describeError(e);
    process.stderr.write(`wren: ${message}\n`);
    process.exitCode = code;
  } finally {
    await store?.close();
  }
}

function describeError(e: unknown): [number, string] {
  if (e instanceof DatastoreUnavailableError) {
    const detail = e.detail.replace(/\s*Resolution note:.*$/, '').replace(/^\d+ UNAVAILABLE: /, '');
    return [3, `etcd unreachable at ${e.endpoints.join(', ')} (${detail}); set --etcd or WREN_ETCD_ENDPOINTS`];
  }
  // Something answered, but not etcd's gRPC API (an HTTP server or proxy on that port).
  if (e instanceof DatastoreFailedError && /UNIMPLEMENTED|HTTP status code/.test(e.detail)) {
    return [3, `no etcd v3 API at the endpoint(s) given (${e.detail}); set --etcd or WREN_ETCD_ENDPOINTS`];
  }
  if (e instanceof DatastoreConfigError) return [2, e.message];
  if (e instanceof DatastoreError) return [1, e.message];
  if (e instanceof CliInputError || e instanceof InvalidPrefixError || e instanceof InvalidSelectorError || e instanceof InvalidKeyError) {
    return [2, e.message];
  }
  if (e instanceof ClusterRecordError) return [2, e.message];
  if (e instanceof ClusterError) return [1, e.message];
  if (e instanceof IpamError) return [INPUT_IPAM_ERRORS.has(e.code) ? 2 : 1, e.message];
  if (e instanceof CliFailedError) return [1, e.message];
  throw e;
}

export function print(opts: EtcdOptions, value: unknown, text: () => string): void {
  process.stdout.write(opts.output === 'json' ? `${JSON.stringify(value, null, 2)}\n` : `${text()}\n`);
}

/** The cluster config, or undefined before `wren cluster init`. */
export async function readClusterConfig(store: Datastore): Promise<ClusterConfig | undefined> {
  const kv = await store.get(keys.config());
  return kv === undefined ? undefined : parseClusterConfig(kv);
}

export function notInitialised(): CliInputError {
  return new CliInputError('cluster not initialised: run "wren cluster init --asn <AS>" first');
}

export async function requireClusterConfig(store: Datastore): Promise<ClusterConfig> {
  const config = await readClusterConfig(store);
  if (config === undefined) throw notInitialised();
  return config;
}

export function sameValue(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(a, b);
}
