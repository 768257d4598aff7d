// Runs bin/wren-cni exactly as a container runtime does: CNI_* variables, the network config on
// stdin, the result or error JSON on stdout and the exit code.
import { join, resolve } from 'node:path';
import { run } from '../harness/exec.js';

export const CNI_BIN = join(resolve(import.meta.dirname, '../..'), 'bin', 'wren-cni');

export interface CniOutcome {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** stdout parsed, or null when it is empty */
  json: Record<string, unknown> | null;
}

/** `env` is the whole CNI environment (nothing CNI_* leaks in from the test process). */
export async function runCni(env: Record<string, string>, stdin: string | object = ''): Promise<CniOutcome> {
  const input = typeof stdin === 'string' ? stdin : JSON.stringify(stdin);
  const r = await run(process.execPath, [CNI_BIN], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, input, allowFailure: true, timeoutMs: 20_000 });
  const text = r.stdout.trim();
  let json: Record<string, unknown> | null = null;
  if (text !== '') {
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new Error(`wren-cni printed something that is not JSON (exit ${r.exitCode}):\n${r.stdout}\nstderr: ${r.stderr}`);
    }
  }
  return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, json };
}

/** The CNI environment for one attachment. */
export function cniEnv(command: string, containerId: string, netns: string | null, ifname = 'eth0', extra: Record<string, string> = {}): Record<string, string> {
  return {
    CNI_COMMAND: command,
    CNI_CONTAINERID: containerId,
    ...(netns === null ? {} : { CNI_NETNS: netns }),
    CNI_IFNAME: ifname,
    CNI_PATH: '/opt/cni/bin',
    ...extra,
  };
}

/** A network config as a runtime hands it to one plugin of a conflist. */
export function netConf(controlSocket: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { cniVersion: '1.0.0', name: 'k8s-pod-network', type: 'wren-cni', controlSocket, timeoutMs: 5000, ...extra };
}
