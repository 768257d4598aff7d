// Builds native/wren_ns.c and native/wren_mem.c into native/build/*.node with the system C
// compiler against the running Node's own headers (no download, no node-gyp). Run by `npm run build`.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const include = join(dirname(dirname(process.execPath)), 'include', 'node');

if (process.platform !== 'linux') {
  process.stdout.write('native: not Linux, skipping wren_ns and wren_mem (pod wiring needs Linux)\n');
  process.exit(0);
}
const cc = process.env.CC ?? 'cc';
for (const name of ['wren_ns', 'wren_mem']) {
  const src = join(here, `${name}.c`);
  const out = join(here, 'build', `${name}.node`);
  const newest = Math.max(statSync(src).mtimeMs, statSync(join(here, 'throw_errno.h')).mtimeMs);
  if (existsSync(out) && statSync(out).mtimeMs >= newest) continue;
  if (!existsSync(join(include, 'node_api.h'))) {
    process.stderr.write(`native: Node's headers are not at ${include} (node_api.h); cannot build ${name}\n`);
    process.exit(1);
  }
  mkdirSync(dirname(out), { recursive: true });
  try {
    execFileSync(cc, ['-O2', '-Wall', '-Werror', '-fPIC', '-shared', `-I${include}`, '-o', out, src], { stdio: 'inherit' });
  } catch {
    process.stderr.write(`native: "${cc}" failed to build ${src}; install a C compiler (Debian: apt-get install gcc)\n`);
    process.exit(1);
  }
}
