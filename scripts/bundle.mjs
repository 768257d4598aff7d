// Bundles the two command entry points (after tsc) so a command loads a few files instead of
// dozens of small modules: the CNI plugin starts for every pod and `wren` for every command,
// and on a busy node each module costs start-up time. Dependencies stay external (node_modules);
// dynamic imports (the daemon, etcd commands) become chunks loaded only when used.
import { build } from 'esbuild';

const common = { bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'warning' };

await Promise.all([
  build({ ...common, entryPoints: ['dist/src/cni/main.js'], outfile: 'dist/bundle/wren-cni.js' }),
  build({ ...common, entryPoints: ['dist/src/cli/main.js'], outdir: 'dist/bundle/cli', splitting: true }),
  build({ ...common, entryPoints: ['dist/src/daemon/main.js'], outdir: 'dist/bundle/daemon', splitting: true }),
]);
