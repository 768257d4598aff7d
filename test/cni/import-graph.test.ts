// The runtime starts wren-cni for every pod, so its start-up is on every pod's critical path.
// Record every module the real process resolves (a module resolve hook, registered before the
// entry runs, sees static and dynamic imports alike) and check the plugin stays within its
// own files, the control socket client and node:net.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../harness/exec.js';
import { CNI_BIN } from './helpers.js';

const root = pathToFileURL(resolve(import.meta.dirname, '../..')).href;
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wren-cni-graph-'));
  writeFileSync(
    join(dir, 'hooks.mjs'),
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(process.env.GRAPH_LOG, r.url + '\\n');
  return r;
}
`,
  );
  writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function loadedBy(env: Record<string, string>, input: string): Promise<string[]> {
  const log = join(dir, `graph-${env.CNI_COMMAND}.log`);
  writeFileSync(log, '');
  const r = await run(process.execPath, ['--import', pathToFileURL(join(dir, 'register.mjs')).href, CNI_BIN], {
    env: { PATH: process.env.PATH ?? '', GRAPH_LOG: log, ...env },
    input,
    allowFailure: true,
  });
  expect(r.stdout, r.stderr).toMatch(/cniVersion/);
  return [...new Set(readFileSync(log, 'utf8').split('\n').filter((l) => l !== ''))].map((u) => (u.startsWith(root) ? u.slice(root.length + 1) : u));
}

describe('wren-cni import graph', () => {
  it('bundles only the plugin and the control socket client', () => {
    // what esbuild inlined: every source file of the bundle is named in its comments
    const bundle = readFileSync(resolve(import.meta.dirname, '../../dist/bundle/wren-cni.js'), 'utf8');
    const sources = [...bundle.matchAll(/^\/\/ (dist\/src\/[^\n]+\.js)$/gm)].map((m) => m[1]!);
    expect(sources.length).toBeGreaterThan(5);
    expect(sources.filter((f) => !/^dist\/src\/(cni\/[a-z-]+|api\/client|api\/types)\.js$/.test(f))).toEqual([]);
  });

  it('loads only the plugin, the control socket client and node:net', async () => {
    for (const [env, input] of [
      [{ CNI_COMMAND: 'VERSION' }, '{"cniVersion":"1.0.0"}'],
      // ADD goes as far as connecting to the daemon (absent here): the full graph of a real ADD
      [{ CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'c', CNI_NETNS: '/run/netns/x', CNI_IFNAME: 'eth0' }, JSON.stringify({ cniVersion: '1.0.0', name: 'n', type: 'wren-cni', controlSocket: join(dir, 'none.sock') })],
    ] as const) {
      const modules = await loadedBy(env, input);
      // The build bundles the plugin into one file (scripts/bundle.mjs); dependencies would
      // stay external and show up here as node_modules paths.
      expect(modules).toContain('dist/bundle/wren-cni.js');
      const unexpected = modules.filter((m) => !(m === 'bin/wren-cni' || m === 'dist/bundle/wren-cni.js' || m === 'node:net'));
      expect(unexpected, `modules outside the plugin's budget (${env.CNI_COMMAND})`).toEqual([]);
      expect(modules.some((m) => m.includes('node_modules'))).toBe(false);
    }
  });
});
