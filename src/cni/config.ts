// The network configuration on stdin: the spec's fields, plus Wren's two (controlSocket,
// timeoutMs). Strict: a wrong type or value is code 7 naming the field; a field Wren does not
// support (ipam, ipMasq: true, a typo) is code 2 naming the key and value, so a misspelt
// "controlSocket" never silently falls back to the default. docs/cni.md lists every field.
import { DEFAULT_CONTROL_SOCKET } from '../api/types.js';
import { CniCode, CniError } from './errors.js';
import { isObject, isStringArray, show, type JsonObject } from './json.js';
import { LATEST_VERSION, SUPPORTED_VERSIONS, isSemver, isSupported, type CniVersion } from './version.js';

export const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_TIMEOUT_MS = 300_000;
/** sun_path is 108 bytes including the terminating NUL */
const MAX_SOCKET_PATH = 107;

export interface CniDns {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}

export interface Attachment {
  containerId: string;
  /** null when the runtime listed the container without an interface: all of its interfaces stay */
  ifname: string | null;
}

export interface NetConf {
  cniVersion: CniVersion;
  /** network name; part of every pod id the plugin creates (see attachment.ts) */
  name: string;
  type: string;
  controlSocket: string;
  timeoutMs: number;
  /** echoed into the ADD result */
  dns: CniDns;
  /** the raw prevResult, checked by prev-result.ts when a command uses it */
  prevResult: JsonObject | null;
  /** GC: `cni.dev/valid-attachments`; null when absent */
  validAttachments: Attachment[] | null;
}

/** Keys the spec defines or runtimes inject, accepted and not used by Wren. */
const IGNORED = new Set(['capabilities', 'runtimeConfig', 'args']);
const KNOWN = new Set(['cniVersion', 'name', 'type', 'controlSocket', 'timeoutMs', 'dns', 'prevResult', 'ipMasq', 'ipam', ...IGNORED]);

/** CNI 1.0: a network name starts alphanumeric, then alphanumerics, "_", "." or "-". */
const NETWORK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export function parseJson(text: string, what: string): unknown {
  if (text.trim() === '') throw new CniError(CniCode.DecodeFailure, `${what} on stdin is empty`);
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new CniError(CniCode.DecodeFailure, `${what} on stdin is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}

const invalid = (field: string, why: string, value?: unknown): CniError =>
  new CniError(CniCode.InvalidConfig, `invalid network config: ${field} ${why}${value === undefined ? '' : ` (got ${show(value)})`}`);

/** cniVersion alone: needed first, because every reply (errors too) carries it. */
export function configVersion(raw: JsonObject): CniVersion {
  const v = raw.cniVersion;
  if (v === undefined) throw invalid('cniVersion', 'is required');
  if (typeof v !== 'string' || !isSemver(v)) throw invalid('cniVersion', 'must be a version string like "1.0.0"', v);
  if (!isSupported(v)) {
    throw new CniError(CniCode.IncompatibleVersion, `incompatible CNI versions: config is ${v}, wren-cni supports ${SUPPORTED_VERSIONS.join(', ')}`);
  }
  return v;
}

export function parseNetConf(raw: unknown): NetConf {
  if (!isObject(raw)) throw invalid('(top level)', 'must be a JSON object', raw);
  const cniVersion = configVersion(raw);

  for (const key of Object.keys(raw)) {
    if (KNOWN.has(key) || key.startsWith('cni.dev/')) continue;
    throw new CniError(CniCode.UnsupportedField, `unsupported field in network config: ${JSON.stringify(key)}: ${show(raw[key])}`, 'wren-cni accepts cniVersion, name, type, controlSocket, timeoutMs, dns, ipMasq (false), capabilities, runtimeConfig, args, prevResult and cni.dev/* keys (docs/cni.md)');
  }
  if (raw.ipam !== undefined) {
    throw new CniError(CniCode.UnsupportedField, `unsupported field in network config: "ipam": ${show(raw.ipam)}`, 'the wren daemon allocates pod addresses itself; remove "ipam"');
  }
  if (raw.ipMasq !== undefined && raw.ipMasq !== false) {
    throw new CniError(CniCode.UnsupportedField, `unsupported field in network config: "ipMasq": ${show(raw.ipMasq)}`, 'wren routes pod addresses and never masquerades them');
  }

  const name = raw.name;
  if (typeof name !== 'string' || !NETWORK_NAME.test(name)) throw invalid('name', 'must be a string of letters, digits, "_", "." and "-" starting with a letter or digit', name);
  const type = raw.type;
  if (typeof type !== 'string' || type === '') throw invalid('type', 'must be a non-empty string (the plugin executable name)', type);

  const controlSocket = raw.controlSocket ?? DEFAULT_CONTROL_SOCKET;
  if (typeof controlSocket !== 'string' || !controlSocket.startsWith('/')) throw invalid('controlSocket', 'must be an absolute path to the wren daemon control socket', controlSocket);
  if (Buffer.byteLength(controlSocket) > MAX_SOCKET_PATH) throw invalid('controlSocket', `must be at most ${MAX_SOCKET_PATH} bytes (unix socket path limit)`, controlSocket);

  const timeoutMs = raw.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_TIMEOUT_MS) {
    throw invalid('timeoutMs', `must be an integer from 1 to ${MAX_TIMEOUT_MS}`, timeoutMs);
  }

  for (const key of IGNORED) {
    if (raw[key] !== undefined && !isObject(raw[key])) throw invalid(key, 'must be an object', raw[key]);
  }
  const prevResult = raw.prevResult;
  if (prevResult !== undefined && !isObject(prevResult)) throw invalid('prevResult', 'must be an object', prevResult);

  return {
    cniVersion,
    name,
    type,
    controlSocket,
    timeoutMs,
    dns: parseDns(raw.dns),
    prevResult: prevResult ?? null,
    validAttachments: parseAttachments(raw['cni.dev/valid-attachments']),
  };
}

function parseDns(raw: unknown): CniDns {
  if (raw === undefined) return {};
  if (!isObject(raw)) throw invalid('dns', 'must be an object', raw);
  const dns: CniDns = {};
  for (const [key, value] of Object.entries(raw)) {
    switch (key) {
      case 'domain':
        if (typeof value !== 'string') throw invalid('dns.domain', 'must be a string', value);
        dns.domain = value;
        break;
      case 'nameservers':
      case 'search':
      case 'options':
        if (!isStringArray(value)) throw invalid(`dns.${key}`, 'must be an array of strings', value);
        dns[key] = value;
        break;
      default:
        throw new CniError(CniCode.UnsupportedField, `unsupported field in network config: "dns.${key}": ${show(value)}`, 'dns accepts nameservers, domain, search and options');
    }
  }
  return dns;
}

function parseAttachments(raw: unknown): Attachment[] | null {
  if (raw === undefined) return null;
  const field = 'cni.dev/valid-attachments';
  if (!Array.isArray(raw)) throw invalid(field, 'must be an array', raw);
  return raw.map((a: unknown, i) => {
    if (!isObject(a) || typeof a.containerID !== 'string' || a.containerID === '') throw invalid(`${field}[${i}].containerID`, 'must be a non-empty string', isObject(a) ? a.containerID : a);
    if (a.ifname !== undefined && typeof a.ifname !== 'string') throw invalid(`${field}[${i}].ifname`, 'must be a string', a.ifname);
    return { containerId: a.containerID, ifname: a.ifname === undefined || a.ifname === '' ? null : a.ifname };
  });
}

/** VERSION's stdin is `{"cniVersion": "..."}` or nothing; the reply echoes it (CNI 1.0). */
export function requestedVersion(text: string): string {
  if (text.trim() === '') return LATEST_VERSION;
  const raw = parseJson(text, 'VERSION request');
  if (!isObject(raw)) throw new CniError(CniCode.DecodeFailure, 'VERSION request on stdin must be a JSON object');
  const v = raw.cniVersion;
  if (v === undefined) return LATEST_VERSION;
  if (typeof v !== 'string' || !isSemver(v)) throw new CniError(CniCode.DecodeFailure, `VERSION request: cniVersion must be a version string like "1.0.0" (got ${show(v)})`);
  return v;
}
