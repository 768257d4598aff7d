// Small helpers shared by the benchmark command lines (bench/rr.ts, bench/fib.ts).

export class UsageError extends Error {
  readonly code = 'BENCH_USAGE';
}

/** "100000", "100k" or "1m" → a positive integer. */
export function count(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([km]?)$/i.exec(text.trim());
  if (!m) throw new UsageError(`not a count: ${JSON.stringify(text)} (use 100000, 100k or 1m)`);
  const mult = { '': 1, k: 1_000, m: 1_000_000 }[m[2]!.toLowerCase() as '' | 'k' | 'm'];
  const v = Math.round(Number(m[1]) * mult);
  if (v < 1) throw new UsageError(`count must be positive: ${text}`);
  return v;
}

/** A comma-separated list of implementation names, each one of `allowed`. */
export function parseImpls<T extends string>(text: string, allowed: readonly T[]): T[] {
  return text.split(',').map((s) => {
    const i = s.trim().toLowerCase();
    if (!(allowed as readonly string[]).includes(i)) throw new UsageError(`unknown implementation ${JSON.stringify(s)} (one of ${allowed.join(', ')})`);
    return i as T;
  });
}

export function human(n: number): string {
  if (n % 1_000_000 === 0) return `${n / 1_000_000}M`;
  if (n % 1_000 === 0) return `${n / 1_000}k`;
  return String(n);
}

export const f = (v: number | undefined, digits = 2): string => (v === undefined ? '-' : v.toFixed(digits));

export const ratio = (a: number | undefined, b: number | undefined): string => (a === undefined || b === undefined || b === 0 ? '-' : `${(a / b).toFixed(2)}x`);

/** Aligned columns with a rule under the header; `left` columns pad right, others pad left. */
export function renderTable(lines: string[][], left: (column: number, width: number) => boolean): string {
  const head = lines[0]!;
  const widths = head.map((_, c) => Math.max(...lines.map((l) => l[c]!.length)));
  const fmt = (l: string[]): string =>
    l
      .map((cell, c) => (left(c, l.length) ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [fmt(head), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.slice(1).map(fmt)].join('\n');
}
