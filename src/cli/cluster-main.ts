// A `wren` with only the etcd-side commands: `node dist/src/cli/cluster-main.js peer list …`.
// The full CLI (main.ts) registers the same commands with registerClusterCommands.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { registerClusterCommands } from './cluster-commands.js';

export function buildClusterCli(): Command {
  const program = new Command('wren').description('Wren cluster commands (etcd)').showHelpAfterError();
  registerClusterCommands(program);
  return program;
}

const entry = process.argv[1];
if (entry !== undefined && realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url))) {
  await buildClusterCli().parseAsync(process.argv);
}
