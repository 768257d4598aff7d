// Text renderings of the API's answers for the CLI.
import type { ApiMethods, NeighborDetail, RouteView } from '../api/types.js';
import { formatDuration, formatSince, table } from './table.js';

export function renderStatus(s: ApiMethods['status']['result']): string {
  const d = s.daemon;
  const head = `Wren ${d.version}  AS ${d.asn}  router ID ${d.routerId}  pid ${d.pid}  up ${formatDuration((Date.now() - Date.parse(d.startedAt)) / 1000)}`;
  if (s.peers.length === 0) return `${head}\n\nNo peers configured.`;
  const rows = s.peers.map((p) => [
    p.name ? `${p.address} (${p.name})` : p.address,
    p.type,
    String(p.asn),
    p.state,
    formatSince(p.since),
    p.info,
    String(p.prefixesReceived),
    String(p.prefixesAdvertised),
  ]);
  const up = s.peers.filter((p) => p.state === 'Established').length;
  return `${head}\n\n${table(['PEER ADDRESS', 'PEER TYPE', 'ASN', 'STATE', 'SINCE', 'INFO', 'RECEIVED', 'ADVERTISED'], rows)}\n\n${up} of ${s.peers.length} sessions established.`;
}

function notif(n: NeighborDetail['lastNotificationSent']): string {
  if (!n) return 'none';
  return `${n.description} (${n.code}/${n.subcode})${n.message ? ` "${n.message}"` : ''} at ${n.at}`;
}

export function renderNeighbor(n: NeighborDetail): string {
  const c = n.capabilities;
  const lines = [
    `BGP neighbor ${n.address}${n.name ? ` (${n.name})` : ''}, AS ${n.asn}, ${n.type}`,
    `  State:            ${n.state} since ${n.since}${n.uptimeSeconds !== null ? `, up ${formatDuration(n.uptimeSeconds)}` : ''}`,
    `  Info:             ${n.info}`,
    `  Router ID:        ${n.routerId ?? '-'}`,
    `  Connection:       local ${n.localAddress ?? '-'}:${n.localPort ?? '-'}  remote port ${n.remotePort ?? '-'}`,
    `  Hold time:        ${n.holdTime ?? '-'} (configured ${n.holdTimeConfigured})  keepalive ${n.keepaliveTime ?? '-'}`,
    `  Flaps:            ${n.flaps}`,
    `  Prefixes:         ${n.prefixesReceived} received, ${n.prefixesAdvertised} advertised`,
  ];
  if (c) {
    lines.push(
      '  Capabilities:',
      `    families:               ${c.families.join(', ')}`,
      `    4-octet AS:             ${c.as4 ? 'yes' : 'no'}`,
      `    route refresh:          ${c.routeRefresh ? 'yes' : 'no'}${c.enhancedRouteRefresh ? ' (enhanced)' : ''}`,
      `    extended message:       ${c.extendedMessage ? 'yes' : 'no'}`,
      `    graceful restart:       ${c.gracefulRestart ? `restart time ${c.gracefulRestart.restartTime}s, families ${c.gracefulRestart.families.join(', ') || 'none'}` : 'no'}`,
      `    ADD-PATH:               receive ${c.addPath.receive.join(', ') || 'none'}; send ${c.addPath.send.join(', ') || 'none'}`,
      `    hostname:               ${c.hostname ?? '-'}`,
    );
  }
  const kinds = ['open', 'update', 'notification', 'keepalive', 'route-refresh'] as const;
  lines.push(
    '  Messages:',
    `    ${''.padEnd(10)}${kinds.map((k) => k.padStart(14)).join('')}`,
    `    ${'received'.padEnd(10)}${kinds.map((k) => String(n.messages.received[k]).padStart(14)).join('')}`,
    `    ${'sent'.padEnd(10)}${kinds.map((k) => String(n.messages.sent[k]).padStart(14)).join('')}`,
    `  Last notification sent:     ${notif(n.lastNotificationSent)}`,
    `  Last notification received: ${notif(n.lastNotificationReceived)}`,
  );
  return lines.join('\n');
}

export function renderRoutes(routes: RouteView[]): string {
  if (routes.length === 0) return 'No routes.';
  const rows = routes.map((r) => [
    `${r.best ? '*' : ' '}${r.multipath && !r.best ? '=' : ' '}${r.stale ? 'S' : ' '}`,
    r.prefix,
    r.from,
    r.nextHop ?? 'self',
    r.asPath || '-',
    r.origin ?? '-',
    r.localPref !== null ? String(r.localPref) : '-',
    r.med !== null ? String(r.med) : '-',
    r.reason ?? '',
    [...r.communities, ...r.largeCommunities, ...r.extCommunities].join(' ') || '-',
  ]);
  return `${table(['', 'PREFIX', 'FROM', 'NEXT HOP', 'AS PATH', 'ORIGIN', 'LOCPRF', 'MED', 'BEST BY', 'COMMUNITIES'], rows)}\n\n* best, = multipath (ECMP), S stale (graceful restart)`;
}

export function renderRouteDetail(prefix: string, routes: RouteView[]): string {
  if (routes.length === 0) return `${prefix}: no paths.`;
  const lines = [`${routes[0]!.prefix}: ${routes.length} path${routes.length === 1 ? '' : 's'}`];
  for (const r of routes) {
    lines.push(
      '',
      `  from ${r.from}${r.best ? `  BEST (decided by ${r.reason})` : ''}${r.multipath && !r.best ? '  multipath' : ''}${r.stale ? '  STALE' : ''}`,
      `    next hop        ${r.nextHop ?? 'self'}`,
      `    AS path         ${r.asPath || '(empty)'}`,
      `    origin          ${r.origin ?? '-'}`,
      `    local pref      ${r.localPref ?? '-'}`,
      `    MED             ${r.med ?? '-'}`,
      `    communities     ${r.communities.join(' ') || '-'}`,
      `    large comm.     ${r.largeCommunities.join(' ') || '-'}`,
      `    ext comm.       ${r.extCommunities.join(' ') || '-'}`,
      `    originator id   ${r.originatorId ?? '-'}`,
      `    cluster list    ${r.clusterList.join(' ') || '-'}`,
    );
    if (r.aggregator) lines.push(`    aggregator      ${r.aggregator}${r.atomicAggregate ? ' (atomic)' : ''}`);
  }
  return lines.join('\n');
}
