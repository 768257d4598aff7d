// The pods this node wired, kept in a small JSON file so a restarted daemon neither forgets nor
// duplicates them. Written atomically (temporary file + rename): a crash leaves the old or the
// new state, never half of one.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { PodInfo } from '../api/types.js';

export interface PodState {
  version: 1;
  pods: PodInfo[];
  /** the local pool's allocation cursor */
  cursor?: number;
}

export class PodStore {
  constructor(readonly path: string) {}

  load(): PodState {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, pods: [] };
      throw e;
    }
    const parsed = JSON.parse(text) as Partial<PodState>;
    if (parsed.version !== 1 || !Array.isArray(parsed.pods)) throw new Error(`${this.path}: not a wren pod state file (version 1)`);
    return { version: 1, pods: parsed.pods, ...(typeof parsed.cursor === 'number' ? { cursor: parsed.cursor } : {}) };
  }

  save(state: PodState): void {
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(state, null, 1)}\n`, { mode: 0o600 });
    renameSync(tmp, this.path);
  }
}
