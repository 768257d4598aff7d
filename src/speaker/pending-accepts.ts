// Connections from addresses that are not (yet) configured peers, held for a moment before they
// are closed. In a cluster every node learns of a new peer from the datastore at its own pace:
// the dialling side often knows first, and a connection refused then costs the session its
// ConnectRetry and IdleHold back-off (seconds, while a hundred nodes form a mesh). Held, the
// connection is handed to the peer as soon as the configuration names it. Bounded in number
// and time, so unknown hosts cannot pile connections up; the data they send waits unread.
import type { Socket } from 'node:net';

interface Held {
  sock: Socket;
  timer: NodeJS.Timeout;
}

export class PendingAccepts {
  private readonly held = new Map<string, Held[]>();
  private count = 0;

  constructor(
    private readonly holdMs: number,
    private readonly max: number,
    /** Called when a held connection is closed unclaimed (time up, or no room to hold it). */
    private readonly rejected: (remote: string, sock: Socket) => void,
  ) {}

  /** Holds `sock` from `remote`; closes it at once (rejected) when too many are held. */
  hold(remote: string, sock: Socket): void {
    if (this.count >= this.max || this.holdMs <= 0) {
      this.rejected(remote, sock);
      return;
    }
    const entry: Held = {
      sock,
      timer: setTimeout(() => {
        if (this.drop(remote, entry)) this.rejected(remote, sock);
      }, this.holdMs),
    };
    entry.timer.unref();
    sock.once('close', () => this.drop(remote, entry));
    sock.on('error', () => undefined);
    const list = this.held.get(remote);
    if (list) list.push(entry);
    else this.held.set(remote, [entry]);
    this.count++;
  }

  /** The connections held from `remote`, oldest first, handed over (no longer held). */
  claim(remote: string): Socket[] {
    const list = this.held.get(remote);
    if (!list) return [];
    this.held.delete(remote);
    this.count -= list.length;
    const out: Socket[] = [];
    for (const e of list) {
      clearTimeout(e.timer);
      if (!e.sock.destroyed) out.push(e.sock);
    }
    return out;
  }

  /** Closes everything held (shutdown). */
  closeAll(): void {
    for (const [remote, list] of [...this.held]) {
      this.held.delete(remote);
      for (const e of list) {
        clearTimeout(e.timer);
        e.sock.destroy();
      }
    }
    this.count = 0;
  }

  private drop(remote: string, entry: Held): boolean {
    const list = this.held.get(remote);
    const at = list?.indexOf(entry) ?? -1;
    if (!list || at < 0) return false;
    clearTimeout(entry.timer);
    list.splice(at, 1);
    if (list.length === 0) this.held.delete(remote);
    this.count--;
    return true;
  }
}
