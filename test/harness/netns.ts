// A lab of network namespaces: one per router, each with a veth into a bridge that lives in its
// own "switch" namespace. Nothing is created in the root namespace except the lab's temp
// directory, so traffic stays inside the lab and parallel test files never collide.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { Daemon, run } from './exec.js';
import type { RunOptions, RunResult } from './exec.js';
import { canonicalIp } from './routes.js';

export interface LabSwitch {
  ns: string;
  bridge: string;
  /** Third octet of the default IPv4 subnet 10.77.<index>.0/24 (and fd77:0:0:<index>::/64). */
  index: number;
}

export interface LabInterface {
  ifname: string;
  /** Bare address ("10.77.0.2"); the prefix length is in ipv4Cidr. */
  ipv4: string;
  ipv4Cidr: string;
  ipv6?: string;
  ipv6Cidr?: string;
  switch: LabSwitch;
}

export interface LabHost extends LabInterface {
  /** The name given to addHost ("bird"). */
  name: string;
  /** Network namespace name (≤ 15 chars, unique per lab). */
  ns: string;
  /** Every interface of the host; the first one is also spread onto the host itself. */
  interfaces: LabInterface[];
}

export interface InterfaceInit {
  /** "10.77.0.5/24"; default 10.77.<switch>.<host number>/24. */
  ipv4?: string;
  /** "fd77::5/64"; default fd77:0:0:<switch>::<host number>/64; false for no IPv6. */
  ipv6?: string | false;
  /** Bridge to plug into; default the lab's first switch (created on demand). */
  switch?: LabSwitch;
}

export interface SpawnOptions {
  /** Absolute, or relative to the lab directory. */
  logFile: string;
  name?: string;
  env?: NodeJS.ProcessEnv;
}

export class LabError extends Error {
  readonly code = 'HARNESS_LAB';
  constructor(message: string) {
    super(message);
    this.name = 'LabError';
  }
}

const MAX_IFNAME = 15;
/** Above this many hosts the kernel's shared neighbour tables overflow (see DESIGN.md). */
const NEIGH_RAISE_AT = 25;

let labCounter = 0;
const liveLabs = new Set<Lab>();
let exitHooksInstalled = false;

export class Lab {
  /** Short unique prefix of every namespace name: ≤ 2 chars of the user prefix + pid + lab counter (base 36). */
  readonly tag: string;
  /** Per-lab temp directory for configs, sockets, logs and captures. */
  readonly dir: string;
  readonly hosts: LabHost[] = [];
  readonly switches: LabSwitch[] = [];
  private readonly namespaces: string[] = [];
  private readonly daemons: Daemon[] = [];
  private readonly deferred: Array<() => Promise<void> | void> = [];
  private readonly switchPorts = new Map<string, number>();
  private neighRestore: Array<[string, string, string]> = [];
  private cleaning: Promise<void> | undefined;
  /** Keep this lab's directory at cleanup (keepFiles), as WREN_KEEP_LAB=1 does for every lab. */
  private keep = false;
  private defaultSwitch: Promise<LabSwitch> | undefined;

  constructor(prefix = 'wl') {
    // ≤ 2 + ≤ 5 (pid up to 4194304) + 1 chars, leaving ≥ 6 for host names within 15.
    const p = prefix.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 2) || 'wl';
    this.tag = `${p}${process.pid.toString(36)}${(labCounter++).toString(36)}`;
    this.dir = mkdtempSync(join(tmpdir(), `wren-lab-${this.tag}-`));
    liveLabs.add(this);
    installExitHooks();
  }

  /** A path inside the lab directory (parent directories are created). */
  path(...parts: string[]): string {
    const p = join(this.dir, ...parts);
    mkdirSync(join(p, '..'), { recursive: true });
    return p;
  }

  /** A fresh subdirectory of the lab directory. */
  subdir(name: string): string {
    const p = join(this.dir, name);
    mkdirSync(p, { recursive: true });
    return p;
  }

  async addSwitch(): Promise<LabSwitch> {
    this.assertOpen();
    const index = this.switches.length;
    const ns = await this.createNamespace(this.nsName(`sw${index}`));
    // No IPv6 on the switch itself: its ports would otherwise chatter (ND, MLD) in captures.
    await this.sysctls(ns, { 'ipv6/conf/all/disable_ipv6': '1', 'ipv6/conf/default/disable_ipv6': '1' });
    await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    await run('ip', ['-n', ns, 'link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '0']);
    await run('ip', ['-n', ns, 'link', 'set', 'br0', 'up']);
    const sw: LabSwitch = { ns, bridge: 'br0', index };
    this.switches.push(sw);
    return sw;
  }

  /**
   * A router namespace with lo up, IPv6 enabled without duplicate address detection, and one
   * veth (`eth0`) into a switch with the given (or default) addresses.
   */
  async addHost(name: string, init: InterfaceInit = {}): Promise<LabHost> {
    this.assertOpen();
    if (!/^[a-z][a-z0-9]*$/.test(name)) throw new LabError(`host name ${JSON.stringify(name)} must match [a-z][a-z0-9]*`);
    if (this.hosts.some((h) => h.name === name)) throw new LabError(`host ${name} already exists in lab ${this.tag}`);
    // Reserve the host's number before any await, so parallel addHost calls get numbers (and
    // default addresses) in call order.
    const host: LabHost = { name, ns: this.nsName(name), interfaces: [], ...placeholderInterface() };
    this.hosts.push(host);
    const ns = await this.createNamespace(host.ns);
    await this.sysctls(ns, {
      'ipv6/conf/all/disable_ipv6': '0',
      'ipv6/conf/default/disable_ipv6': '0',
      'ipv6/conf/all/accept_dad': '0',
      'ipv6/conf/default/accept_dad': '0',
    });
    await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    const first = await this.addInterface(host, init);
    Object.assign(host, first);
    if (this.hosts.length > NEIGH_RAISE_AT) this.raiseNeighbourLimits();
    return host;
  }

  /** Another veth (`eth1`, `eth2`…) from `host` into a switch. */
  async addInterface(host: LabHost, init: InterfaceInit = {}): Promise<LabInterface> {
    this.assertOpen();
    // Memoised: hosts are often added in parallel and must share one default switch.
    const sw = init.switch ?? (await (this.defaultSwitch ??= this.switches[0] !== undefined ? Promise.resolve(this.switches[0]) : this.addSwitch()));
    const ifname = `eth${host.interfaces.length}`;
    const port = (this.switchPorts.get(sw.ns) ?? 0) + 1;
    this.switchPorts.set(sw.ns, port);
    const peer = `p${port}`;
    const hostNumber = this.hosts.indexOf(host) + 1;
    const ipv4Cidr = init.ipv4 ?? `10.77.${sw.index}.${hostNumber}/24`;
    const ipv6Cidr = init.ipv6 === false ? undefined : canonicalV6Cidr(init.ipv6 ?? `fd77:0:0:${sw.index}::${hostNumber}/64`);
    // Both ends are created directly in their namespaces: no name ever exists in the root one.
    await run('ip', ['link', 'add', ifname, 'netns', host.ns, 'type', 'veth', 'peer', 'name', peer, 'netns', sw.ns]);
    await run('ip', ['-n', sw.ns, 'link', 'set', peer, 'master', sw.bridge, 'up']);
    await run('ip', ['-n', host.ns, 'addr', 'add', ipv4Cidr, 'dev', ifname]);
    if (ipv6Cidr !== undefined) await run('ip', ['-n', host.ns, 'addr', 'add', ipv6Cidr, 'dev', ifname, 'nodad']);
    await run('ip', ['-n', host.ns, 'link', 'set', ifname, 'up']);
    const iface: LabInterface = {
      ifname,
      ipv4: bare(ipv4Cidr),
      ipv4Cidr,
      switch: sw,
      ...(ipv6Cidr === undefined ? {} : { ipv6: bare(ipv6Cidr), ipv6Cidr }),
    };
    host.interfaces.push(iface);
    return iface;
  }

  /** A bare namespace with only lo up (a pod's sandbox): its name and its /var/run/netns path. */
  async addNamespace(name: string): Promise<{ ns: string; path: string }> {
    this.assertOpen();
    if (!/^[a-z][a-z0-9]*$/.test(name)) throw new LabError(`namespace name ${JSON.stringify(name)} must match [a-z][a-z0-9]*`);
    const ns = await this.createNamespace(this.nsName(name));
    await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    return { ns, path: `/var/run/netns/${ns}` };
  }

  host(name: string): LabHost {
    const h = this.hosts.find((x) => x.name === name);
    if (h === undefined) throw new LabError(`no host ${name} in lab ${this.tag}`);
    return h;
  }

  /** Runs a command inside a namespace (`ip netns exec`). */
  exec(ns: string, cmd: string, args: readonly string[] = [], opts?: RunOptions): Promise<RunResult> {
    return run('ip', ['netns', 'exec', ns, cmd, ...args], opts);
  }

  /** `ip -j -n NS …` parsed, e.g. `ipJson(ns, ['route', 'show', 'proto', 'bird'])`. */
  async ipJson<T = unknown>(ns: string, args: readonly string[]): Promise<T> {
    const r = await run('ip', ['-j', '-n', ns, ...args]);
    const text = r.stdout.trim();
    try {
      return (text === '' ? [] : JSON.parse(text)) as T;
    } catch (err) {
      throw new LabError(`ip -j ${args.join(' ')} in ${ns}: unparsable JSON (${String(err)}): ${text.slice(0, 300)}`);
    }
  }

  /**
   * Starts a long-running process inside a namespace. `ip netns exec` execs the command in
   * place, so the tracked pid is the daemon's own. The lab stops it at cleanup.
   */
  spawn(ns: string, cmd: string, args: readonly string[], opts: SpawnOptions): Daemon {
    this.assertOpen();
    const logFile = isAbsolute(opts.logFile) ? opts.logFile : this.path(opts.logFile);
    const d = new Daemon('ip', ['netns', 'exec', ns, cmd, ...args], {
      logFile,
      name: opts.name ?? `${cmd.split('/').pop() ?? cmd}@${ns}`,
      ...(opts.env === undefined ? {} : { env: opts.env }),
    });
    this.daemons.push(d);
    return d;
  }

  /**
   * Registers work for cleanup, run after every daemon has stopped and before namespaces go.
   * On process exit or a signal only its synchronous part runs, so keep it synchronous if you can.
   */
  defer(fn: () => Promise<void> | void): void {
    this.deferred.push(fn);
  }

  /** The last lines of every daemon log: print it when a test fails. */
  logTails(lines = 25): string {
    return this.daemons.map((d) => `--- ${d.name} (pid ${d.pid}) ${d.logFile}\n${d.logTail(lines)}`).join('\n');
  }

  /**
   * Stops every process the lab started (by pid), deletes every namespace it created and its
   * temp directory (kept after keepFiles(), or for every lab when WREN_KEEP_LAB=1). Idempotent;
   * concurrent calls share one run.
   */
  cleanup(): Promise<void> {
    this.cleaning ??= this.doCleanup();
    return this.cleaning;
  }

  private async doCleanup(): Promise<void> {
    const errors: unknown[] = [];
    const stops = await Promise.allSettled(this.daemons.map((d) => d.stop(3_000)));
    for (const s of stops) if (s.status === 'rejected') errors.push(s.reason);
    for (const fn of this.deferred.reverse()) {
      try {
        await fn();
      } catch (err) {
        errors.push(err);
      }
    }
    for (const ns of [...this.namespaces].reverse()) {
      const r = await run('ip', ['netns', 'delete', ns], { allowFailure: true });
      if (r.exitCode !== 0 && !/No such file/.test(r.stderr)) errors.push(new LabError(`ip netns delete ${ns}: ${r.stderr.trim()}`));
    }
    this.restoreNeighbourLimits();
    if (this.keepsFiles()) console.info(`lab ${this.tag}: files kept in ${this.dir}`);
    else rmSync(this.dir, { recursive: true, force: true });
    liveLabs.delete(this);
    if (errors.length > 0) throw new AggregateError(errors, `lab ${this.tag} cleanup had ${errors.length} error(s)`);
  }

  /** Last-resort synchronous cleanup for process exit and signals. */
  cleanupSync(): void {
    for (const d of this.daemons) if (d.running) d.killGroupNow();
    for (const fn of this.deferred.reverse()) {
      try {
        void Promise.resolve(fn()).catch(() => undefined); // only the synchronous part can run now
      } catch {
        // best effort
      }
    }
    for (const ns of this.namespaces) {
      try {
        execFileSync('ip', ['netns', 'delete', ns], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
    this.restoreNeighbourLimits();
    if (!this.keepsFiles()) rmSync(this.dir, { recursive: true, force: true });
    liveLabs.delete(this);
  }

  /** Keeps this lab's directory (logs, configs) at cleanup, e.g. after a failure worth reading. */
  keepFiles(): void {
    this.keep = true;
  }

  private keepsFiles(): boolean {
    return this.keep || process.env.WREN_KEEP_LAB === '1';
  }

  /**
   * Raises the root namespace's neighbour table limits, which every namespace shares; restored
   * at cleanup. Called automatically once a lab has more than 25 hosts.
   */
  raiseNeighbourLimits(): void {
    if (this.neighRestore.length > 0) return;
    const wanted: Record<string, string> = { gc_thresh1: '8192', gc_thresh2: '32768', gc_thresh3: '65536' };
    for (const fam of ['ipv4', 'ipv6']) {
      for (const [key, value] of Object.entries(wanted)) {
        const file = `/proc/sys/net/${fam}/neigh/default/${key}`;
        const old = readFileSync(file, 'utf8').trim();
        if (Number(old) >= Number(value)) continue;
        writeFileSync(file, value);
        this.neighRestore.push([file, old, value]);
      }
    }
    console.info(`lab ${this.tag}: raised net.{ipv4,ipv6}.neigh.default.gc_thresh1..3 while the lab runs`);
  }

  private restoreNeighbourLimits(): void {
    for (const [file, old, set] of this.neighRestore) {
      // Only undo our own change: another lab may have raised it since.
      if (readFileSync(file, 'utf8').trim() === set) writeFileSync(file, old);
    }
    this.neighRestore = [];
  }

  /** `<tag>-<name>`, checked against the 15-character limit the brief sets for lab names. */
  private nsName(name: string): string {
    const ns = `${this.tag}-${name}`;
    if (ns.length > MAX_IFNAME) {
      throw new LabError(`namespace name ${ns} is longer than ${MAX_IFNAME} chars: use a host name of at most ${MAX_IFNAME - this.tag.length - 1} chars`);
    }
    return ns;
  }

  private async createNamespace(ns: string): Promise<string> {
    const r = await run('ip', ['netns', 'add', ns], { allowFailure: true });
    if (r.exitCode !== 0) {
      // Left over by an earlier process with our pid: that process is dead, so it is stale.
      if (!/File exists/.test(r.stderr)) throw new LabError(`ip netns add ${ns}: ${r.stderr.trim()}`);
      await run('ip', ['netns', 'delete', ns], { allowFailure: true });
      await run('ip', ['netns', 'add', ns]);
    }
    this.namespaces.push(ns);
    return ns;
  }

  private async sysctls(ns: string, values: Record<string, string>): Promise<void> {
    // Written through /proc inside the namespace: needs only sh, not procps' sysctl.
    const script = Object.entries(values)
      .map(([k, v]) => `echo ${v} > /proc/sys/net/${k}`)
      .join(' && ');
    await this.exec(ns, 'sh', ['-c', script]);
  }

  private assertOpen(): void {
    if (this.cleaning !== undefined) throw new LabError(`lab ${this.tag} is already cleaned up`);
  }
}

function bare(cidr: string): string {
  return cidr.split('/')[0] ?? cidr;
}

/** Peers print IPv6 addresses in RFC 5952 form; keep ours the same so they compare equal. */
function canonicalV6Cidr(cidr: string): string {
  const [addr = '', len = '128'] = cidr.split('/');
  return `${canonicalIp(addr)}/${len}`;
}

function placeholderInterface(): LabInterface {
  return { ifname: '', ipv4: '', ipv4Cidr: '', switch: { ns: '', bridge: '', index: -1 } };
}

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  const sweep = (): void => {
    for (const lab of [...liveLabs]) lab.cleanupSync();
  };
  process.on('exit', sweep);
  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    process.once(sig, () => {
      sweep();
      process.exit(code);
    });
  }
}
