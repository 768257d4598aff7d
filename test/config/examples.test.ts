import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';

const root = join(import.meta.dirname, '../..');
const files = [join(root, 'config/wren.yaml'), ...readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.yaml')).map((f) => join(root, 'examples', f))];

describe('shipped configuration files', () => {
  it.each(files)('%s is valid', (file) => {
    expect(() => loadConfig(file)).not.toThrow();
  });
});
