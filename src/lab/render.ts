// Text for the lab commands: the status table, the ping matrix, and the `down` report.
import { table } from '../cli/table.js';
import type { LabDownReport } from './down.js';
import { sysctlSummary } from './neigh-limits.js';
import type { LabPingReport } from './ping.js';
import type { LabStatus } from './status.js';

const yesNo = (b: boolean | null): string => (b === null ? '?' : b ? 'yes' : 'no');

export function renderLabStatus(s: LabStatus): string {
  const rows = s.nodes.map((n) => [
    n.name,
    n.address,
    n.role,
    yesNo(n.live),
    n.reachable ? `${n.sessions.established}/${n.sessions.total}` : 'daemon down',
    n.routes === null ? '-' : String(n.routes),
    n.pods === null ? '-' : String(n.pods),
  ]);
  const out = [table(['NODE', 'ADDRESS', 'ROLE', 'LIVE', 'SESSIONS', 'ROUTES', 'PODS'], rows)];
  if (!s.etcd.reachable) out.push(`\netcd at ${s.etcd.endpoint} did not answer (${s.etcd.error ?? '?'}): roles are as built, LIVE unknown`);
  if (s.problems.length > 0) out.push(`\n${s.problems.map((p) => `! ${p}`).join('\n')}`);
  const m = s.summary;
  const head = `${m.nodes} nodes (${m.reflectors > 0 ? `${m.reflectors} route reflector(s)` : 'no reflectors'}), ${m.pods} pods`;
  const tail = s.ok
    ? `all ${m.sessions} sessions Established`
    : `${m.sessionsEstablished} of ${m.sessions} sessions Established, ${m.daemonsAnswering} of ${m.nodes} daemons answering: ${s.problems.length} problem(s)`;
  out.push(`\n${head}: ${tail}`);
  return out.join('\n');
}

export function renderPingMatrix(r: LabPingReport): string {
  const n = r.pods.length;
  const w = String(n).length;
  const labels = r.pods.map((p, i) => `${String(i + 1).padStart(w)} ${p.id}  ${p.ipv4 ?? '(no address)'}`);
  const lw = Math.max(...labels.map((l) => l.length), 'from \\ to'.length);
  // Column numbers written vertically when there are ten or more pods.
  const header: string[] = [];
  for (let d = 0; d < w; d++) {
    const digits = r.pods.map((_, j) => String(j + 1).padStart(w)[d] ?? ' ');
    header.push(`${(d === w - 1 ? 'from \\ to' : '').padEnd(lw)}  ${digits.join(' ')}`);
  }
  const rows = r.reachable.map((row, i) => `${labels[i]!.padEnd(lw)}  ${row.map((c) => (c === null ? '-' : c ? '.' : 'X')).join(' ')}`);
  const lines = [...header, ...rows, ''];
  const secs = (r.elapsedMs / 1000).toFixed(1);
  if (r.ok) {
    lines.push(`all ${n}×${n - 1} = ${r.pairs} pairs reachable (${secs} s)`);
  } else {
    lines.push(`${r.failures.length} of ${r.pairs} pairs NOT reachable (${secs} s):`);
    for (const f of r.failures.slice(0, 50)) lines.push(`  ${f.from} → ${f.to} (${f.ip ?? 'no address'}): ${f.reason}`);
    if (r.failures.length > 50) lines.push(`  … and ${r.failures.length - 50} more (-o json lists them all)`);
  }
  return lines.join('\n');
}

export function renderLabDown(r: LabDownReport, dir: string): string {
  if (!r.found) return `nothing to remove: no lab in ${dir} and no namespaces named ${r.prefix}*`;
  const parts = [
    `stopped ${r.stopped + r.killed} process(es)${r.killed > 0 ? ` (${r.killed} needed SIGKILL)` : ''}`,
    `deleted ${r.namespaces} namespace(s) ${r.prefix}*`,
    ...(r.sysctlsRestored.length > 0 ? [`restored ${sysctlSummary(r.sysctlsRestored)}`] : []),
    r.dirRemoved ? `removed ${dir}` : r.foreignFiles.length > 0 ? `kept ${dir}: it holds files the lab did not make (${r.foreignFiles.slice(0, 3).join(', ')})` : `removed the lab's files`,
  ];
  return `lab down: ${parts.join('; ')}`;
}
