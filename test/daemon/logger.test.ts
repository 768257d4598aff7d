// The daemon's log lines: one write per event-loop turn, in order, and none lost when the
// process exits right after logging (a fatal error, an uncaught exception).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { turnBatched } from '../../src/daemon/logger.js';

const LOGGER = new URL('../../dist/src/daemon/logger.js', import.meta.url).pathname;

describe('turnBatched', () => {
  it('writes the lines of one turn together, in order, and the next turn’s apart', async () => {
    const writes: string[] = [];
    const sink = turnBatched({ write: (t) => void writes.push(t) });
    sink.write('a\n');
    sink.write('b\n');
    sink.write('c\n');
    expect(writes).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(writes).toEqual(['a\nb\nc\n']);
    sink.write('d\n');
    await new Promise((r) => setImmediate(r));
    expect(writes).toEqual(['a\nb\nc\n', 'd\n']);
  });

  it('flush writes what is waiting at once', () => {
    const writes: string[] = [];
    const sink = turnBatched({ write: (t) => void writes.push(t) });
    sink.write('x\n');
    sink.flush();
    expect(writes).toEqual(['x\n']);
    sink.flush();
    expect(writes).toEqual(['x\n']);
  });
});

describe.skipIf(!existsSync(LOGGER))('the daemon logger in a process that exits', () => {
  const run = (body: string) =>
    spawnSync(process.execPath, ['--input-type=module', '-e', `import { createLogger } from ${JSON.stringify(LOGGER)}; const log = createLogger('info'); ${body}`], { encoding: 'utf8' });

  it('keeps the lines logged just before process.exit', () => {
    const r = run(`log.info({ event: 'one' }, 'first'); log.fatal({ event: 'two' }, 'last words'); process.exit(3);`);
    expect(r.status).toBe(3);
    const events = r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { event: string }).event);
    expect(events).toEqual(['one', 'two']);
  });

  it('keeps the line logged just before an uncaught exception', () => {
    const r = run(`setImmediate(() => { log.error({ event: 'about-to-fail' }, 'oops'); throw new Error('boom'); });`);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('"event":"about-to-fail"');
    expect(r.stderr).toContain('boom');
  });
});
