// `wren daemon` without the CLI framework: the long-running process should not carry the
// command-line parser's code for its whole life (every megabyte counts on a node). bin/wren
// comes here directly for `wren daemon`; `wren daemon --help` goes through the CLI as usual.
import { DEFAULT_CONTROL_SOCKET } from '../api/types.js';
import { runDaemon } from './daemon.js';

export interface DaemonArgs {
  configFile: string;
  controlSocket: string;
}

/** Parses `[--control PATH] daemon (-c|--config) FILE [--control PATH]`; null when it cannot. */
export function parseDaemonArgs(args: readonly string[], env: NodeJS.ProcessEnv = process.env): DaemonArgs | null {
  let configFile: string | undefined;
  let control: string | undefined;
  let sawDaemon = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = (): string | undefined => args[++i];
    if (a === 'daemon' && !sawDaemon) sawDaemon = true;
    else if (a === '-c' || a === '--config') configFile = value();
    else if (a.startsWith('--config=')) configFile = a.slice('--config='.length);
    else if (a === '--control') control = value();
    else if (a.startsWith('--control=')) control = a.slice('--control='.length);
    else return null;
  }
  if (!sawDaemon || configFile === undefined || configFile === '' || control === '') return null;
  return { configFile, controlSocket: control ?? env.WREN_CONTROL ?? DEFAULT_CONTROL_SOCKET };
}

export async function main(argv: readonly string[]): Promise<boolean> {
  const args = parseDaemonArgs(argv.slice(2));
  if (!args) return false;
  process.exitCode = await runDaemon(args);
  return true;
}
