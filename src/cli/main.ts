// `wren` command line: the daemon and the commands that talk to it over the control socket.
import { Command, InvalidArgumentError, Option } from 'commander';
import { callDaemon, ApiError, DaemonUnreachableError } from '../api/client.js';
import { DEFAULT_CONTROL_SOCKET } from '../api/types.js';
import { renderNeighbor, renderRouteDetail, renderRoutes, renderStatus } from './format.js';
import { VERSION } from '../version.js';
import { registerPodCommands } from './pod-commands.js';
import { registerClusterCommands } from './cluster-commands.js';
import { registerLabCommands } from './lab-commands.js';

const outputOption = (): Option => new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table');

function controlPath(cmd: Command): string {
  const opts = cmd.optsWithGlobals<{ control?: string }>();
  return opts.control ?? process.env.WREN_CONTROL ?? DEFAULT_CONTROL_SOCKET;
}

function print(output: string, value: unknown, text: () => string): void {
  process.stdout.write(output === 'json' ? `${JSON.stringify(value, null, 2)}\n` : `${text()}\n`);
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
    .description('best and other paths per prefix, with the deciding step; PREFIX for one destination in detail')
    .argument('[prefix]', 'one prefix, e.g. 10.20.0.0/24')
    .addOption(new Option('--family <family>', 'address family').choices(['ipv4', 'ipv6']))
    .option('--peer <address>', 'only paths from this peer (address, name, or "local")')
    .option('--limit <n>', 'show at most this many paths', (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
      return n;
    }, 10_000)
    .addOption(outputOption())
    .action(async (prefix: string | undefined, opts: { family?: 'ipv4' | 'ipv6'; peer?: string; limit: number; output: string }, cmd: Command) => {
      const params = {
        ...(opts.family ? { family: opts.family } : {}),
        ...(opts.peer ? { peer: opts.peer } : {}),
        ...(prefix ? { prefix } : {}),
        limit: opts.limit + 1,
      };
      const all = await callDaemon(controlPath(cmd), 'routes', params);
      const routes = all.slice(0, opts.limit);
      const more = all.length > opts.limit ? `\n(more than ${opts.limit} paths; raise --limit to see them)` : '';
      print(opts.output, routes, () => (prefix ? renderRouteDetail(prefix, routes) : renderRoutes(routes) + more));
    });

  registerPodCommands(program, controlPath, print, outputOption);
  registerClusterCommands(program);
  registerLabCommands(program);

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
