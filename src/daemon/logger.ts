// pino JSON to stdout. Every log line carries a stable `event` field (STYLE.md).
//
// Written synchronously: pino's default destination writes each line through libuv's thread
// pool, and every such write wakes a pool thread. A node daemon logs a few lines per session
// while a cluster forms; with a hundred daemons on a busy machine those wake-ups cost more
// than the logging itself (measured in bench:cluster's CPU profiles). A plain write() costs
// one syscall and no thread. When stdout is a pipe that is full, sonic-boom retries; lines
// are never dropped.
//
// The lines of one event-loop turn leave in one write (turnBatched): a mesh coming up logs a
// session.up per peer, often several in one turn, and the write was 40% of a line's cost.
import { pino, type Logger } from 'pino';

export type { Logger };

/** What pino writes lines to. */
export interface LineSink {
  write(text: string): void;
}

export function createLogger(level = process.env.WREN_LOG_LEVEL ?? 'info'): Logger {
  const batched = turnBatched(pino.destination({ dest: 1, sync: true }));
  process.on('exit', () => batched.flush());
  return pino({ level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, batched);
}

/**
 * Collects the lines written during one event-loop turn and writes them to `out` together
 * once the turn's I/O callbacks have run (setImmediate). `flush` writes what is waiting at
 * once: the daemon calls it on exit, so a line logged just before exiting (a fatal error, an
 * uncaught exception) is not lost.
 */
export function turnBatched(out: LineSink): LineSink & { flush(): void } {
  let pending: string[] = [];
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (pending.length === 0) return;
    const text = pending.length === 1 ? pending[0]! : pending.join('');
    pending = [];
    out.write(text);
  };
  return {
    write(text: string): void {
      pending.push(text);
      if (scheduled) return;
      scheduled = true;
      // Never what keeps a daemon that is otherwise done alive: exit flushes.
      setImmediate(flush).unref();
    },
    flush,
  };
}
