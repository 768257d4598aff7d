// Endpoint strings of the datastore config, checked and parsed once. The forms are
// `http://host:port`, `https://host:port`, or a bare `host:port`, which is
// https when TLS files are configured and http otherwise. A missing port means etcd's client
// port, 2379.

import { DatastoreConfigError } from './errors.js';

export interface EtcdHttpEndpoint {
  /** As configured, for error messages. */
  readonly label: string;
  readonly secure: boolean;
  /** Without IPv6 brackets, as node:http wants it. */
  readonly host: string;
  readonly port: number;
}

const ETCD_CLIENT_PORT = 2379;

export function parseEndpoints(endpoints: readonly string[], tlsConfigured: boolean): EtcdHttpEndpoint[] {
  if (endpoints.length === 0) throw new DatastoreConfigError('no etcd endpoints');
  return endpoints.map((label) => parseEndpoint(label, tlsConfigured));
}

function parseEndpoint(label: string, tlsConfigured: boolean): EtcdHttpEndpoint {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(label) ? label : `${tlsConfigured ? 'https' : 'http'}://${label}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new DatastoreConfigError(`endpoint ${JSON.stringify(label)} is not host:port or an http(s) URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new DatastoreConfigError(`endpoint ${label}: scheme ${url.protocol.slice(0, -1)} is not http or https`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new DatastoreConfigError(`endpoint ${label}: put credentials in username/password, not in the URL`);
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') {
    throw new DatastoreConfigError(`endpoint ${label}: only scheme, host and port are allowed`);
  }
  if (url.hostname === '') throw new DatastoreConfigError(`endpoint ${label}: no host`);
  const secure = url.protocol === 'https:';
  if (secure && !tlsConfigured) throw new DatastoreConfigError('https endpoints need tls.ca');
  return {
    label,
    secure,
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port !== '' ? Number(url.port) : explicitDefaultPort(withScheme) ?? ETCD_CLIENT_PORT,
  };
}

/** URL drops a port equal to the scheme's default (http://h:80); the config still meant it. */
function explicitDefaultPort(withScheme: string): number | undefined {
  const authority = withScheme.slice(withScheme.indexOf('://') + 3).split('/')[0] ?? '';
  const m = /:(\d+)$/.exec(authority);
  return m === null ? undefined : Number(m[1]);
}
