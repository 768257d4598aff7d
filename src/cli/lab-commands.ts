// `wren lab up|status|ping|down`: a whole cluster (etcd, node daemons, pods) in network
// namespaces on this machine. Only commander is loaded here; the lab code is imported when a
// command runs. Exit codes: 0 done (all established / all reachable), 1 failed or a check
// found problems, 2 bad input or a state the command does not fit (no lab, lab exists, not root).
import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option, type CommanderError } from 'commander';

const DEFAULT_DIR = '/run/wren-lab';
const DEFAULT_PREFIX = 'wlab-';

function integer(what: string, min: number, max: number): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!/^\d+$/.test(v) || n < min || n > max) throw new InvalidArgumentError(`${what} must be an integer ${min}..${max}`);
    return n;
  };
}

interface CommonOptions {
  dir: string;
  prefix: string;
}

/** Usage errors (a bad --nodes) are bad input: exit 2, as the cluster commands do. */
function exitOnUsageError(err: CommanderError): never {
  process.exit(err.exitCode === 0 ? 0 : 2);
}

function withCommon(cmd: Command): Command {
  return cmd
    .exitOverride(exitOnUsageError)
    .option('--dir <dir>', `lab directory: state, configs, sockets, logs (default $WREN_LAB_DIR or ${DEFAULT_DIR})`)
    .option('--prefix <prefix>', 'namespace name prefix; lets two labs coexist', DEFAULT_PREFIX);
}

const outputOption = (): Option => new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table');
/** Absolute: daemons, sockets and `down` all find the lab by this path. */
const dirOf = (o: { dir?: string }): string => resolve(o.dir ?? process.env.WREN_LAB_DIR ?? DEFAULT_DIR);

/** Runs a lab action; lab errors become a message and an exit code instead of a stack trace. */
async function guarded(command: string, fn: () => Promise<void>, onFailure?: () => string | undefined): Promise<void> {
  const { LabError } = await import('../lab/errors.js');
  try {
    await fn();
  } catch (e) {
    const lab = e instanceof LabError;
    if (lab) process.stderr.write(`wren lab ${command}: ${e.message}\n`);
    const hint = !lab || e.exitCode === 1 ? onFailure?.() : undefined;
    if (hint) process.stderr.write(`${hint}\n`);
    if (!lab) throw e;
    process.exitCode = e.exitCode;
  }
}

export function registerLabCommands(program: Command): void {
  const lab = program.command('lab').description('a whole cluster in network namespaces on this machine: etcd, node daemons, pods (root)');

  withCommon(lab.command('up'))
    .description('build the lab: a bridge, etcd, N node daemons (K of them route reflectors), P pods per node')
    .option('--nodes <n>', 'node daemons', integer('--nodes', 1, 500), 4)
    .option('--reflectors <k>', 'route reflectors among the nodes (the mesh is off when K > 0)', integer('--reflectors', 0, 500), 0)
    .option('--pods <p>', 'pods per node', integer('--pods', 0, 50), 2)
    .action(async (o: CommonOptions & { nodes: number; reflectors: number; pods: number }) => {
      const dir = dirOf(o);
      const { labCommand } = await import('../lab/common.js');
      const down = labCommand('down', dir, o.prefix);
      // The daemons run detached (their own session): Ctrl-C stops only the build.
      process.once('SIGINT', () => {
        process.stderr.write(`\nwren lab up: interrupted; the daemons started so far keep running; remove the partial lab with: ${down}\n`);
        process.exit(130);
      });
      let building = false;
      await guarded(
        'up',
        async () => {
          const { labUp } = await import('../lab/up.js');
          building = true;
          await labUp({ nodes: o.nodes, reflectors: o.reflectors, podsPerNode: o.pods, dir, prefix: o.prefix });
          process.stdout.write(`\nnext: ${labCommand('ping', dir, o.prefix)} · ${labCommand('status', dir, o.prefix)} · ${down}\n`);
        },
        () => (building ? `the partial lab is left for inspection (state and logs in ${dir}); remove it with: ${down}` : undefined),
      );
    });

  withCommon(lab.command('status'))
    .description("every node's peering table, summarised (exit 1 unless every session is Established)")
    .addOption(outputOption())
    .action(async (o: CommonOptions & { output: string }) => {
      await guarded('status', async () => {
        const { labStatus } = await import('../lab/status.js');
        const { renderLabStatus } = await import('../lab/render.js');
        const s = await labStatus(dirOf(o));
        process.stdout.write(o.output === 'json' ? `${JSON.stringify(s, null, 2)}\n` : `${renderLabStatus(s)}\n`);
        if (!s.ok) process.exitCode = 1;
      });
    });

  withCommon(lab.command('ping'))
    .description('all-pairs pod reachability: a matrix and a summary (exit 1 on any failure)')
    .addOption(outputOption())
    .action(async (o: CommonOptions & { output: string }) => {
      await guarded('ping', async () => {
        const { labPing } = await import('../lab/ping.js');
        const { renderPingMatrix } = await import('../lab/render.js');
        const r = await labPing(dirOf(o));
        process.stdout.write(o.output === 'json' ? `${JSON.stringify(r, null, 2)}\n` : `${renderPingMatrix(r)}\n`);
        if (!r.ok) process.exitCode = 1;
      });
    });

  withCommon(lab.command('down'))
    .description('stop every daemon, delete every namespace of the lab (also after a crash), restore sysctls, remove its files')
    .action(async (o: CommonOptions, cmd: Command) => {
      await guarded('down', async () => {
        const { labDown } = await import('../lab/down.js');
        const { renderLabDown } = await import('../lab/render.js');
        const dir = dirOf(o);
        const r = await labDown({ dir, prefix: o.prefix, prefixGiven: cmd.getOptionValueSource('prefix') === 'cli' });
        process.stdout.write(`${renderLabDown(r, dir)}\n`);
      });
    });
}
