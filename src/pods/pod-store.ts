// The pods this node wired, kept in a small JSON file so a restarted daemon neither forgets nor
// duplicates them. Written atomically (temporary file + rename): a crash leaves the old or the
// new state, never half of one.
import { readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { PodInfo } from '../api/types.js';

export interface PodState {
  version: 1;
  pods: PodInfo[];
  /** the local pools' allocation cursors */
  cursor?: number;
  cursor6?: string;
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
    return {
      version: 1,
      pods: parsed.pods,
      ...(typeof parsed.cursor === 'number' ? { cursor: parsed.cursor } : {}),
      ...(typeof parsed.cursor6 === 'string' ? { cursor6: parsed.cursor6 } : {}),
    };
  }

  /** Writes without blocking the daemon's event loop; callers serialise their saves. */
  async save(state: PodState): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.tmp`;
    await writeFile(tmp, `${JSON.stringify(state)}\n`, { mode: 0o600 });
    await rename(tmp, this.path);
  }
}
