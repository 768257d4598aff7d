// Splits etcd's streaming gateway responses (watch, lease keep-alive) into messages. grpc-gateway
// writes each stream message as one JSON object followed by "\n"; JSON strings escape newlines,
// so a newline always ends a message. No I/O here: feed it text as it arrives (already decoded
// from UTF-8 by the socket, so a character split across chunks is never cut) and take back whole
// lines; a partial line waits for the next chunk.

export class LineSplitter {
  private rest = '';

  /** Whole lines completed by `chunk`, without their newline; blank lines are dropped. */
  push(chunk: string): string[] {
    const text = this.rest + chunk;
    const lines = text.split('\n');
    this.rest = lines.pop() ?? '';
    return lines.filter((l) => l.trim() !== '');
  }

  /** Text received after the last newline (a message cut off by a disconnect). */
  get pending(): string {
    return this.rest;
  }
}
