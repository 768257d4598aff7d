// pino JSON to stdout. Every log line carries a stable `event` field (STYLE.md).
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level = process.env.WREN_LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime });
}
