// prevResult: the result of the previous ADD, passed back by the runtime for CHECK (required)
// and for ADD when Wren is not first in a chain (merged into our result). Only the fields we
// read are checked; entries are kept whole so fields Wren does not know survive a merge.
import type { PodInfo } from '../api/types.js';
import { CniCode, CniError } from './errors.js';
import { isObject, show, type JsonObject } from './json.js';

export interface PrevResult {
  interfaces: JsonObject[];
  ips: JsonObject[];
  routes: JsonObject[];
  dns: JsonObject | null;
}

const invalid = (field: string, why: string, value: unknown): CniError =>
  new CniError(CniCode.InvalidConfig, `invalid network config: prevResult.${field} ${why} (got ${show(value)})`);

function entries(raw: JsonObject, key: 'interfaces' | 'ips' | 'routes', required: string, type: 'string'): JsonObject[] {
  const list = raw[key];
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw invalid(key, 'must be an array', list);
  return list.map((e: unknown, i) => {
    if (!isObject(e)) throw invalid(`${key}[${i}]`, 'must be an object', e);
    if (typeof e[required] !== type) throw invalid(`${key}[${i}].${required}`, `must be a ${type}`, e[required]);
    return e;
  });
}

export function parsePrevResult(raw: JsonObject): PrevResult {
  const interfaces = entries(raw, 'interfaces', 'name', 'string');
  const ips = entries(raw, 'ips', 'address', 'string');
  ips.forEach((ip, i) => {
    const idx = ip.interface;
    if (idx !== undefined && (typeof idx !== 'number' || !Number.isInteger(idx) || idx < 0 || idx >= interfaces.length)) {
      throw invalid(`ips[${i}].interface`, `must be an index into prevResult.interfaces (0..${interfaces.length - 1})`, idx);
    }
  });
  const routes = entries(raw, 'routes', 'dst', 'string');
  const dns = raw.dns;
  if (dns !== undefined && !isObject(dns)) throw invalid('dns', 'must be an object', dns);
  return { interfaces, ips, routes, dns: dns ?? null };
}

/**
 * CHECK (CNI 1.0): what prevResult expects of this attachment that the recorded pod lacks.
 * Extra entries in prevResult are not problems: later plugins in a chain may add to it.
 */
export function diffWithPrev(prev: PrevResult, pod: PodInfo, netns: string, ifname: string): string[] {
  const problems: string[] = [];
  const idx = prev.interfaces.findIndex((i) => i.name === ifname && i.sandbox === netns);
  if (idx < 0) problems.push(`prevResult lists no interface ${ifname} in sandbox ${netns}`);
  if (pod.netns !== netns) problems.push(`the pod is in netns ${pod.netns}, not ${netns}`);
  if (pod.ifname !== ifname) problems.push(`the pod's interface is ${pod.ifname}, not ${ifname}`);
  const ours = [pod.ipv4 === null ? null : `${pod.ipv4}/32`, pod.ipv6 === null ? null : `${pod.ipv6}/128`];
  for (const address of ours) {
    if (address === null) continue;
    const listed = prev.ips.find((ip) => ip.address === address);
    if (listed === undefined) problems.push(`prevResult does not list the pod's address ${address}`);
    else if (idx >= 0 && listed.interface !== undefined && listed.interface !== idx) problems.push(`prevResult puts ${address} on interface ${String(listed.interface)}, not on ${ifname}`);
  }
  return problems;
}
