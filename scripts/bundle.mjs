// Bundles the three command entry points (after tsc) so a command loads a few files instead of
// dozens of small modules: the CNI plugin starts for every pod and `wren` for every command,
// and on a busy node each module costs start-up time. The daemon and the CLI bundle their
// dependencies too: one file parses faster and holds less memory than a package's many
// modules (measured: yaml and pino cost about 2.5 MB less each this way, on every node), and
// esbuild drops the parts we never call. Left outside: netlink (a native addon that finds
// its binary from its own directory) and prom-client (loaded only when metrics are on).
// Dynamic imports (the daemon, etcd commands) become chunks loaded only when used.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

// Bundled CommonJS packages call require(); an ES module has none of its own.
const banner = { js: "import { createRequire as __wrenCreateRequire } from 'node:module';\nconst require = __wrenCreateRequire(import.meta.url);" };
const common = { bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning' };
// Whitespace and syntax minified: V8 keeps every script's source for the process's lifetime.
const inlineDeps = { ...common, banner, minifySyntax: true, minifyWhitespace: true, external: ['netlink', 'netlink/*', 'prom-client'] };

rmSync('dist/bundle', { recursive: true, force: true });
await Promise.all([
  build({ ...common, packages: 'external', entryPoints: ['dist/src/cni/main.js'], outfile: 'dist/bundle/wren-cni.js' }),
  build({ ...inlineDeps, entryPoints: ['dist/src/cli/main.js'], outdir: 'dist/bundle/cli', splitting: true }),
  build({ ...inlineDeps, entryPoints: ['dist/src/daemon/main.js'], outdir: 'dist/bundle/daemon', splitting: true }),
]);
