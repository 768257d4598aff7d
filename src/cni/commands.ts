// One function per CNI command. Each gets the parsed environment and config and a DaemonCall,
// and returns what goes on stdout (null: nothing) or throws a CniError.
import type { PodInfo } from '../api/types.js';
import { parsePodId, podId } from './attachment.js';
import type { NetConf } from './config.js';
import { checkPodCheck, checkPodInfo, checkPodList, type DaemonCall } from './daemon.js';
import type { CniEnv } from './env.js';
import { CniCode, CniError } from './errors.js';
import { diffWithPrev, parsePrevResult } from './prev-result.js';
import { addResult, type CniResult } from './result.js';
import { versionAtLeast } from './version.js';

/** Commands newer than some spec versions refuse older configs (as libcni's skel does). */
export function requireVersion(conf: NetConf, command: string, min: string): void {
  if (!versionAtLeast(conf.cniVersion, min)) {
    throw new CniError(CniCode.IncompatibleVersion, `config version ${conf.cniVersion} does not allow ${command} (needs ${min} or later)`);
  }
}

/** The attachment's pod id; env.parseEnv guarantees containerId and ifname for ADD/DEL/CHECK. */
function attachmentId(env: CniEnv, conf: NetConf): string {
  return podId(conf.name, env.containerId ?? '', env.ifname ?? '');
}

export async function cmdAdd(env: CniEnv, conf: NetConf, call: DaemonCall): Promise<CniResult> {
  const netns = env.netns ?? '';
  const ifname = env.ifname ?? '';
  const prev = conf.prevResult === null ? null : parsePrevResult(conf.prevResult);
  const id = attachmentId(env, conf);
  const reply = await call('podAdd', { id, netns, ifname, ...(env.requestedIp === null ? {} : { ip: env.requestedIp }) });
  const pod = checkPodInfo('podAdd', reply);
  if (reply.created === false) {
    // The runtime must not ADD an attachment twice without a DEL in between; the daemon gave
    // us the existing pod. Same wiring: a retried ADD, answer it. Different: refuse, loudly.
    const clash = conflicts(pod, netns, ifname, env.requestedIp);
    if (clash.length > 0) {
      throw new CniError(CniCode.AttachmentConflict, `pod ${id} already exists with different wiring: ${clash.join('; ')}`, 'DEL the attachment first, or use another CNI_CONTAINERID/CNI_IFNAME');
    }
  }
  return addResult(conf.cniVersion, pod, netns, conf.dns, prev);
}

function conflicts(pod: PodInfo, netns: string, ifname: string, ip: string | null): string[] {
  const out: string[] = [];
  if (pod.netns !== netns) out.push(`netns is ${pod.netns}, not ${netns}`);
  if (pod.ifname !== ifname) out.push(`interface is ${pod.ifname}, not ${ifname}`);
  if (ip !== null && pod.ipv4 !== ip && pod.ipv6 !== ip) out.push(`address is ${pod.ipv4 ?? pod.ipv6 ?? 'none'}, not ${ip}`);
  return out;
}

/**
 * DEL is idempotent: a pod the daemon does not know is already deleted. A daemon that cannot be
 * reached is an error (code 11), not a success: the veth, route and address would leak, and
 * runtimes retry a failed DEL until it succeeds (see docs/cni.md).
 */
export async function cmdDel(env: CniEnv, conf: NetConf, call: DaemonCall): Promise<null> {
  try {
    await call('podDel', { id: attachmentId(env, conf) });
  } catch (e) {
    if (!(e instanceof CniError && e.code === CniCode.UnknownContainer)) throw e;
  }
  return null;
}

export async function cmdCheck(env: CniEnv, conf: NetConf, call: DaemonCall): Promise<null> {
  requireVersion(conf, 'CHECK', '0.4.0');
  if (conf.prevResult === null) throw new CniError(CniCode.InvalidConfig, 'invalid network config: prevResult is required for CHECK');
  const prev = parsePrevResult(conf.prevResult);
  const id = attachmentId(env, conf);
  const pod = checkPodInfo('podGet', await call('podGet', { id }));
  const problems = diffWithPrev(prev, pod, env.netns ?? '', env.ifname ?? '');
  problems.push(...checkPodCheck(await call('podCheck', { id })).problems);
  if (problems.length > 0) throw new CniError(CniCode.CheckFailed, `pod ${id} is not wired as expected: ${problems.join('; ')}`);
  return null;
}

/**
 * GC (CNI 1.1): delete this network's CNI pods whose (container id, ifname) the runtime no
 * longer lists. Pods made by `wren pod add` or by other networks are never touched. Every stale
 * pod is tried; the first failure is reported after the rest were attempted.
 */
export async function cmdGc(conf: NetConf, call: DaemonCall): Promise<null> {
  requireVersion(conf, 'GC', '1.1.0');
  const valid = conf.validAttachments;
  if (valid === null) throw new CniError(CniCode.InvalidConfig, 'invalid network config: cni.dev/valid-attachments is required for GC');
  const keep = new Set(valid.map((a) => (a.ifname === null ? a.containerId : `${a.containerId}/${a.ifname}`)));
  const pods = checkPodList(await call('podList', {}));
  const stale = pods.filter((p) => {
    const a = parsePodId(conf.name, p.id);
    return a !== null && !keep.has(a.containerId) && !keep.has(`${a.containerId}/${a.ifname}`);
  });
  const failures: CniError[] = [];
  for (const pod of stale) {
    try {
      await call('podDel', { id: pod.id });
    } catch (e) {
      failures.push(e instanceof CniError ? e : new CniError(CniCode.Internal, String(e)));
    }
  }
  const first = failures[0];
  if (first !== undefined) {
    throw new CniError(first.code, `GC: ${failures.length} of ${stale.length} stale pods could not be deleted: ${first.message}`, failures.map((f) => f.message).join('\n'));
  }
  return null;
}

/** STATUS (CNI 1.1): ready when the daemon answers; code 50 otherwise. */
export async function cmdStatus(conf: NetConf, call: DaemonCall): Promise<null> {
  requireVersion(conf, 'STATUS', '1.1.0');
  try {
    await call('status', {});
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new CniError(CniCode.PluginNotAvailable, `plugin not available: ${why}`, `control socket ${conf.controlSocket}`);
  }
  return null;
}
