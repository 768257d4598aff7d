// `wren` command line: the daemon and the commands that talk to it over the control socket.
import { Command, InvalidArgumentError, Option } from 'commander';
import { isIP } from 'node:net';
import { callDaemon, ApiError, DaemonUnreachableError } from '../api/client.js';
import { DEFAULT_CONTROL_SOCKET } from '../api/types.js';
import { renderNeighbor, renderRoutes, renderStatus } from './format.js';
import { VERSION } from '../version.js';

const outputOption = (): Option => new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table');

function controlPath(cmd: Command): string {
  const opts = cmd.optsWithGlobals<{ control?: string }>();
  return opts.control ?? process.env.WREN_CONTROL ?? DEFAULT_CONTROL_SOCKET;
}

function print(output: string, value: unknown, text: () => string): void {
  process.stdout.write(output === 'json' ? `${JSON.stringify(value, null, 2)}\n` : `${text()}\n`);
}

function parseAddress(v: string): string {
  if (!isIP(v)) throw new InvalidArgumentError('must be an IPv4 or IPv6 address');
  return v;
}

export function buildCli(): Command {
  const program = new Command('wren')
    .description('BGP speaker, route reflector and kernel route programmer for pod networks')
    .version(VERSION)
    .option('--control <path>', `control socket (default $WREN_CONTROL or ${DEFAULT_CONTROL_SOCKET})`)
    .showHelpAfterError();

  program
    .command('daemon')
    .description('run the BGP daemon in the foreground (logs JSON to stdout)')
    .requiredOption('-c, --config <file>', 'configuration file (YAML or JSON)')
    .action(async (opts: { config: string }, cmd: Command) => {
      const { runDaemon } = await import('../daemon/daemon.js');
      process.exitCode = await runDaemon({ configFile: opts.config, controlSocket: controlPath(cmd) });
    });

  program
    .command('check-config')
    .description('validate a configuration file and exit')
    .argument('<file>', 'configuration file')
    .action(async (file: string) => {
      const { loadConfig, ConfigError } = await import('../config/load.js');
      try {
        const cfg = loadConfig(file);
        process.stdout.write(`${file}: OK (AS ${cfg.asn}, ${cfg.peers.length} peers, ${cfg.originate.length} originated prefixes)\n`);
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        process.stderr.write(`wren: ${e.message}\n`);
        process.exitCode = 2;
      }
    });

  program
    .command('status')
    .description('the peering table: one line per BGP peer')
    .addOption(outputOption())
    .action(async (opts: { output: string }, cmd: Command) => {
      const s = await callDaemon(controlPath(cmd), 'status', {});
      print(opts.output, s, () => renderStatus(s));
    });

  program
    .command('neighbors')
    .description('negotiated capabilities, timers and counters of each peer')
    .argument('[address]', 'only this peer (address or name)')
    .addOption(outputOption())
    .action(async (address: string | undefined, opts: { output: string }, cmd: Command) => {
      const list = await callDaemon(controlPath(cmd), 'neighbors', address ? { address } : {});
      print(opts.output, list, () => list.map(renderNeighbor).join('\n\n'));
    });

  program
    .command('routes')
    .description('originated and received routes with their attributes')
    .addOption(new Option('--family <family>', 'address family').choices(['ipv4', 'ipv6']))
    .option('--peer <address>', 'only routes from this peer ("local" for originated)', (v: string) => (v === 'local' ? v : parseAddress(v)))
    .addOption(outputOption())
    .action(async (opts: { family?: 'ipv4' | 'ipv6'; peer?: string; output: string }, cmd: Command) => {
      const routes = await callDaemon(controlPath(cmd), 'routes', { ...(opts.family ? { family: opts.family } : {}), ...(opts.peer ? { peer: opts.peer } : {}) });
      print(opts.output, routes, () => renderRoutes(routes));
    });

  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (e) {
    if (e instanceof DaemonUnreachableError || e instanceof ApiError) {
      process.stderr.write(`wren: ${e.message}\n`);
      process.exitCode = e instanceof DaemonUnreachableError ? 3 : 1;
      return;
    }
    throw e;
  }
}
