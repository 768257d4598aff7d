// `npm run demo:bird` (as root): Wren and a BIRD 2 router in network namespaces on one bridge,
// eBGP in both address families. Prints `wren status`, `wren routes` and BIRD's view, then
// removes everything. `npm run demo` is the cluster lab (demo/lab.ts).
import { Lab, ensurePackages, routesFor, startBird, waitFor } from '../test/harness/index.js';
import { startWren } from '../test/harness/wren.js';

const say = (text: string): void => {
  process.stdout.write(`\n\x1b[1m== ${text}\x1b[0m\n`);
};

async function main(): Promise<number> {
  const skip = await ensurePackages(['bird2']);
  if (skip) {
    process.stderr.write(`demo: cannot run: ${skip}\n(run as root on Debian/Ubuntu: it creates network namespaces and installs bird2 if missing)\n`);
    return 1;
  }
  const lab = new Lab('dm');
  try {
    say('building two network namespaces on a bridge');
    const w = await lab.addHost('wren');
    const b = await lab.addHost('bird');
    process.stdout.write(`wren: ${w.ipv4} ${w.ipv6 ?? ''} (${w.ns})\nbird: ${b.ipv4} ${b.ipv6 ?? ''} (${b.ns})\n`);

    say('starting BIRD 2 (AS 65002) and Wren (AS 65001)');
    const bird = await startBird(lab, b, {
      routerId: b.ipv4,
      asn: 65002,
      peers: [{ name: 'wren', address: w.ipv4, asn: 65001, families: ['ipv4', 'ipv6'], passive: true }],
      originate: { ipv4: ['10.20.0.0/24'], ipv6: ['fd20::/48'], communities: ['65002:100'], largeCommunities: ['65002:1:2'] },
    });
    const wren = await startWren({
      lab,
      host: w,
      config: {
        asn: 65001,
        routerId: w.ipv4,
        hostname: 'wren-demo',
        originate: ['10.10.1.0/24', 'fd10:1::/48'],
        kernel: { enabled: true },
        peers: [{ name: 'bird', address: b.ipv4, asn: 65002, families: ['ipv4-unicast', 'ipv6-unicast'], connectRetryTime: 1 }],
      },
    });
    await wren.waitEstablished(b.ipv4, 30_000);
    await waitFor(async () => (await wren.call('routes', { peer: b.ipv4 })).length === 2, { timeoutMs: 15_000, what: "BIRD's two routes at Wren" });
    await waitFor(async () => routesFor(await bird.routes('ipv6'), 'fd10:1::/48').length > 0, { timeoutMs: 15_000, what: "Wren's routes at BIRD" });

    say('wren status');
    process.stdout.write((await wren.cli(['status'])).stdout);
    say('wren routes');
    process.stdout.write((await wren.cli(['routes'])).stdout);
    say(`ip route show proto 199 (in ${w.ns}: what Wren installed in its kernel)`);
    await waitFor(async () => (await lab.exec(w.ns, 'ip', ['route', 'show', 'proto', '199'])).stdout.includes('10.20.0.0/24'), { timeoutMs: 10_000, what: "BIRD's route in Wren's kernel" });
    process.stdout.write((await lab.exec(w.ns, 'ip', ['route', 'show', 'proto', '199'])).stdout);
    process.stdout.write((await lab.exec(w.ns, 'ip', ['-6', 'route', 'show', 'proto', '199'])).stdout);
    say('birdc show route (what BIRD learned from Wren)');
    process.stdout.write(await bird.birdc('show route protocol wren'));
    say('done: stopping Wren (BIRD is told why) and removing the namespaces');
    await wren.stop();
    process.stdout.write(`${(await bird.birdc('show protocols wren')).split('\n').slice(-2).join('\n')}\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`demo failed: ${e instanceof Error ? e.message : String(e)}\n${lab.logTails(20)}\n`);
    return 1;
  } finally {
    await lab.cleanup();
  }
}

process.exitCode = await main();
