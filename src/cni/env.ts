// The CNI_* environment variables (CNI spec 1.0 "Parameters"). Every missing or malformed
// variable is reported at once, by name, with code 4.
import { isIP } from 'node:net';
import { CniCode, CniError } from './errors.js';

export const CNI_COMMANDS = ['ADD', 'DEL', 'CHECK', 'VERSION', 'GC', 'STATUS'] as const;
export type CniCommand = (typeof CNI_COMMANDS)[number];

export interface CniEnv {
  command: CniCommand;
  /** CNI_CONTAINERID; null only for VERSION, GC and STATUS */
  containerId: string | null;
  /** CNI_NETNS; null for VERSION, GC, STATUS, and a DEL without one */
  netns: string | null;
  /** CNI_IFNAME; null only for VERSION, GC and STATUS */
  ifname: string | null;
  /** CNI_ARGS, "K1=V1;K2=V2". Keys we do not use (K8S_POD_NAME …) are kept and ignored. */
  args: ReadonlyMap<string, string>;
  /** CNI_ARGS "IP=": the address the pod asks for (Calico's convention), validated */
  requestedIp: string | null;
}

/** Which variables each command needs. CNI_PATH is never needed: Wren delegates to no plugin. */
const NEEDS: Record<CniCommand, { containerId: boolean; netns: boolean; ifname: boolean }> = {
  ADD: { containerId: true, netns: true, ifname: true },
  CHECK: { containerId: true, netns: true, ifname: true },
  // CNI 1.0: DEL may come without CNI_NETNS (the namespace is gone); clean up by id anyway.
  DEL: { containerId: true, netns: false, ifname: true },
  VERSION: { containerId: false, netns: false, ifname: false },
  GC: { containerId: false, netns: false, ifname: false },
  STATUS: { containerId: false, netns: false, ifname: false },
};

/** CNI 1.0: starts alphanumeric, then alphanumerics, "_", "." or "-". */
const CONTAINER_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export function parseCommand(env: NodeJS.ProcessEnv): CniCommand {
  const raw = env.CNI_COMMAND;
  if (raw === undefined || raw === '') throw new CniError(CniCode.InvalidEnvironment, 'CNI_COMMAND is missing', `expected one of ${CNI_COMMANDS.join(', ')}`);
  const cmd = CNI_COMMANDS.find((c) => c === raw);
  if (cmd === undefined) throw new CniError(CniCode.InvalidEnvironment, `CNI_COMMAND ${JSON.stringify(raw)} is not a CNI command`, `expected one of ${CNI_COMMANDS.join(', ')}`);
  return cmd;
}

/** Linux interface names (dev_valid_name): 1-15 bytes, not "." or "..", no "/", ":" or whitespace. */
export function ifnameProblem(name: string): string | null {
  if (name === '.' || name === '..') return 'must not be "." or ".."';
  if (Buffer.byteLength(name) > 15) return 'must be at most 15 characters';
  if (/[/:\s]/.test(name)) return 'must not contain "/", ":" or whitespace';
  return null;
}

export function parseEnv(env: NodeJS.ProcessEnv): CniEnv {
  const command = parseCommand(env);
  const needs = NEEDS[command];
  const problems: string[] = [];
  const take = (name: string, needed: boolean): string | null => {
    const v = env[name];
    if (v === undefined || v === '') {
      if (needed) problems.push(`${name} is missing`);
      return null;
    }
    return v;
  };

  const containerId = take('CNI_CONTAINERID', needs.containerId);
  if (containerId !== null && !CONTAINER_ID.test(containerId)) {
    problems.push(`CNI_CONTAINERID ${JSON.stringify(containerId)} must start with a letter or digit and hold only letters, digits, "_", "." and "-"`);
  }
  const netns = take('CNI_NETNS', needs.netns);
  if (netns !== null && !netns.startsWith('/')) problems.push(`CNI_NETNS ${JSON.stringify(netns)} must be an absolute path to a network namespace`);
  const ifname = take('CNI_IFNAME', needs.ifname);
  if (ifname !== null) {
    const why = ifnameProblem(ifname);
    if (why !== null) problems.push(`CNI_IFNAME ${JSON.stringify(ifname)} ${why}`);
  }

  const args = new Map<string, string>();
  for (const pair of (env.CNI_ARGS ?? '').split(';')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      problems.push(`CNI_ARGS item ${JSON.stringify(pair)} is not KEY=VALUE`);
      continue;
    }
    args.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  const ip = args.get('IP') ?? null;
  if (ip !== null && isIP(ip) === 0) problems.push(`CNI_ARGS IP=${ip} is not an IPv4 or IPv6 address`);

  if (problems.length > 0) throw new CniError(CniCode.InvalidEnvironment, `invalid environment: ${problems.join('; ')}`);
  return { command, containerId, netns, ifname, args, requestedIp: ip };
}
