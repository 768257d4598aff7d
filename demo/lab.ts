// `npm run demo` (as root): the cluster lab. Builds 4 Wren nodes on etcd in network namespaces
// with 2 pods each (`wren lab up --nodes 4 --pods 2`), proves every pod reaches every other
// (`wren lab ping`), shows every node's sessions (`wren lab status`) and one node's peering
// table, then leaves the lab running to explore and says how to remove it. `-- --down` removes
// it at the end instead. The BIRD demo of the first issues is `npm run demo:bird`.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePackages } from '../test/harness/packages.js';
import { WREN_BIN } from '../test/harness/wren.js';

const DIR = process.env.WREN_LAB_DIR ?? '/run/wren-lab';
const PREFIX = 'wlab-';
const teardown = process.argv.includes('--down');

const bold = (text: string): string => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);

/** Runs `wren ARGS` as a user would, showing the command and its output as they come. */
function wren(args: string[]): Promise<number> {
  process.stdout.write(`\n${bold(`$ ./bin/wren ${args.join(' ')}`)}\n`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [WREN_BIN, ...args], { stdio: 'inherit' });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
    child.on('error', () => resolve(1));
  });
}

async function main(): Promise<number> {
  const skip = await ensurePackages(['etcd-server', 'iputils-ping']);
  if (skip) {
    process.stderr.write(`demo: cannot run: ${skip}\n(run as root on Debian/Ubuntu: it creates network namespaces and installs etcd-server and iputils-ping if missing)\n`);
    return 1;
  }
  if (existsSync(join(DIR, 'lab.json'))) {
    process.stdout.write(`a lab from an earlier run is in ${DIR}: removing it first\n`);
    if ((await wren(['lab', 'down'])) !== 0) return 1;
  }
  if ((await wren(['lab', 'up', '--nodes', '4', '--pods', '2'])) !== 0) {
    process.stderr.write(`\ndemo: the lab did not come up; logs are in ${DIR} (node-*.log, etcd.log); remove it with: ./bin/wren lab down\n`);
    return 1;
  }
  const ping = await wren(['lab', 'ping']);
  const status = await wren(['lab', 'status']);
  await wren(['--control', join(DIR, 'node-1.sock'), 'status']);

  const pods = podAddresses();
  const [from, to] = [pods[0], pods[pods.length - 1]];
  if (teardown) return (await wren(['lab', 'down'])) === 0 && ping === 0 && status === 0 ? 0 : 1;
  const explore: [string, string][] = [
    [`./bin/wren --control ${DIR}/node-1.sock status`, "node-1's peering table (also: neighbors, routes, pod list)"],
    [`./bin/wren --control ${DIR}/node-2.sock routes`, "what node-2 learned: the other nodes' pod blocks"],
    [`ip netns exec ${PREFIX}n1 ip route show proto 199`, "the routes Wren installed in node-1's kernel"],
    from && to ? [`ip netns exec ${from.ns} ping -c3 ${to.ipv4}`, `from ${from.id} to ${to.id}`] : ['./bin/wren lab ping', "every pod's address"],
    [`ip netns exec ${PREFIX}etcd ./bin/wren node list --etcd http://10.99.255.1:2379`, 'the cluster in etcd (also: ipam show, peer list)'],
    ['./bin/wren lab status; ./bin/wren lab ping', 'again, after changing something'],
  ];
  const width = Math.max(...explore.map(([c]) => c.length));
  process.stdout.write(
    [
      '',
      bold('The lab is running. Explore it:'),
      ...explore.map(([cmd, what]) => `  ${cmd.padEnd(width)}  # ${what}`),
      `  logs: ${DIR}/node-*.log (JSON lines), ${DIR}/etcd.log`,
      '',
      `Remove it with: ${bold('./bin/wren lab down')}`,
      '',
    ].join('\n'),
  );
  return ping === 0 && status === 0 ? 0 : 1;
}

interface DemoPod {
  id: string;
  ns: string;
  ipv4: string | null;
}

/** The pods `lab up` recorded (DIR/lab.json), for a copy-pasteable ping. */
function podAddresses(): DemoPod[] {
  try {
    const state = JSON.parse(readFileSync(join(DIR, 'lab.json'), 'utf8')) as { pods?: DemoPod[] };
    return (state.pods ?? []).filter((p) => p.ipv4 !== null);
  } catch {
    return [];
  }
}

process.exitCode = await main();
