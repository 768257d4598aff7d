// Our own native helpers (native/*.c, built into native/build/ by `npm run build`), found from
// wherever this module runs: src/lib, dist/src/lib or a bundle in dist/bundle/<name>.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Loads native/build/<name>.node, or returns null when it is not built (not Linux, no compiler). */
export function loadNativeHelper<T>(name: 'wren_ns' | 'wren_mem'): T | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'native', 'build', `${name}.node`);
    if (existsSync(candidate)) return createRequire(import.meta.url)(candidate) as T;
    dir = dirname(dir);
  }
  return null;
}
