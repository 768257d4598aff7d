// Progress of a long lab operation. On a terminal a counter rewrites its own line; otherwise
// (logs, CI, tests) only every tenth step and the last one are printed, so 200 nodes do not
// make 200 lines.
export class Progress {
  private readonly tty: boolean;
  private lastShown = new Map<string, number>();
  private openLine = false;

  constructor(private readonly out: NodeJS.WriteStream | { write(s: string): boolean; isTTY?: boolean } = process.stdout) {
    this.tty = out.isTTY === true;
  }

  /** A finished step: one line. */
  line(text: string): void {
    this.endLine();
    this.out.write(`${text}\n`);
  }

  /** A counter ("nodes started 3/4"); the line is completed when done === total. */
  count(label: string, done: number, total: number, extra = ''): void {
    const text = `${label} ${done}/${total}${extra ? ` ${extra}` : ''}`;
    if (this.tty) {
      this.out.write(`\r\x1b[K${text}`);
      this.openLine = true;
      if (done >= total) this.endLine();
      return;
    }
    const step = Math.max(1, Math.ceil(total / 10));
    const last = this.lastShown.get(label) ?? -1;
    if (done === total || (done !== last && done % step === 0 && done > 0) || total <= 10) {
      if (done === last) return;
      this.lastShown.set(label, done);
      this.out.write(`${text}\n`);
    }
  }

  private endLine(): void {
    if (!this.openLine) return;
    this.out.write('\n');
    this.openLine = false;
  }
}

export function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}
