// `wren pod add|del|list|show|check`: pod wiring through the daemon's control socket.
import { Command } from 'commander';
import { callDaemon } from '../api/client.js';
import type { PodInfo } from '../api/types.js';
import { table, formatSince } from './table.js';

type Out = (output: string, value: unknown, text: () => string) => void;

function renderPods(pods: PodInfo[]): string {
  if (pods.length === 0) return 'no pods';
  return table(
    ['ID', 'IP', 'HOST IF', 'NETNS', 'IFNAME', 'SINCE'],
    pods.map((p) => [p.id, p.ipv4 ?? p.ipv6 ?? '-', p.hostIfname, p.netns, p.ifname, formatSince(p.createdAt)]),
  );
}

function renderPod(p: PodInfo): string {
  return [
    `pod ${p.id}`,
    `  address     ${[p.ipv4 && `${p.ipv4}/32`, p.ipv6 && `${p.ipv6}/128`].filter(Boolean).join(', ') || '-'}`,
    `  netns       ${p.netns}`,
    `  interface   ${p.ifname} (${p.mac})`,
    `  host side   ${p.hostIfname} (${p.hostMac})`,
    `  created     ${p.createdAt}`,
  ].join('\n');
}

export function registerPodCommands(program: Command, controlPath: (cmd: Command) => string, print: Out, outputOption: () => import('commander').Option): void {
  const pod = program.command('pod').description('pods wired into this host (veth, /32 route, proxy ARP)');

  pod
    .command('add')
    .description('wire a pod: veth pair, address, routes; idempotent for an existing id')
    .requiredOption('--id <id>', 'pod (container) id')
    .requiredOption('--netns <path>', "the pod's network namespace, e.g. /var/run/netns/pod1")
    .option('--ip <address>', 'the address to give the pod (default: the next free one from the pool)')
    .option('--ifname <name>', 'interface name inside the pod', 'eth0')
    .addOption(outputOption())
    .action(async (opts: { id: string; netns: string; ip?: string; ifname: string; output: string }, cmd: Command) => {
      const r = await callDaemon(controlPath(cmd), 'podAdd', { id: opts.id, netns: opts.netns, ifname: opts.ifname, ...(opts.ip ? { ip: opts.ip } : {}) }, 30_000);
      print(opts.output, r, () => `${r.created ? 'added' : 'exists'}: ${r.id} ${r.ipv4 ?? ''} on ${r.hostIfname}`);
    });

  pod
    .command('del')
    .description('unwire a pod; succeeds when there is no such pod')
    .requiredOption('--id <id>', 'pod (container) id')
    .addOption(outputOption())
    .action(async (opts: { id: string; output: string }, cmd: Command) => {
      const r = await callDaemon(controlPath(cmd), 'podDel', { id: opts.id }, 30_000);
      print(opts.output, r, () => (r.deleted ? `deleted: ${r.id}` : `no pod ${r.id} (nothing to do)`));
    });

  pod
    .command('list')
    .description('the pods on this host')
    .addOption(outputOption())
    .action(async (opts: { output: string }, cmd: Command) => {
      const pods = await callDaemon(controlPath(cmd), 'podList', {});
      print(opts.output, pods, () => renderPods(pods));
    });

  pod
    .command('show')
    .description('one pod in detail')
    .argument('<id>', 'pod id')
    .addOption(outputOption())
    .action(async (id: string, opts: { output: string }, cmd: Command) => {
      const p = await callDaemon(controlPath(cmd), 'podGet', { id });
      print(opts.output, p, () => renderPod(p));
    });

  pod
    .command('check')
    .description("compare a pod's wiring in the kernel with what was recorded")
    .argument('<id>', 'pod id')
    .addOption(outputOption())
    .action(async (id: string, opts: { output: string }, cmd: Command) => {
      const r = await callDaemon(controlPath(cmd), 'podCheck', { id });
      print(opts.output, r, () => (r.problems.length === 0 ? `${r.id}: OK` : `${r.id}:\n${r.problems.map((x) => `  - ${x}`).join('\n')}`));
      if (r.problems.length > 0) process.exitCode = 1;
    });
}
