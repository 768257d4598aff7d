// This process's own memory figures from /proc/self/status (Linux).
import { readFileSync } from 'node:fs';

/** A kB field of /proc/self/status, 0 where there is none (not Linux). */
export function ownStatusKb(field: 'VmRSS' | 'RssAnon' | 'RssFile'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}
