// pino JSON to stdout. Every log line carries a stable `event` field (STYLE.md).
//
// Written synchronously: pino's default destination writes each line through libuv's thread
// pool, and every such write wakes a pool thread. A node daemon logs a few lines per session
// while a cluster forms; with a hundred daemons on a busy machine those wake-ups cost more
// than the logging itself (measured in bench:cluster's CPU profiles). A plain write() costs
// one syscall and no thread. When stdout is a pipe that is full, sonic-boom retries; lines
// are never dropped.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level = process.env.WREN_LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ dest: 1, sync: true }));
}
