// Bounded polling. Interop tests never sleep for a fixed time: they wait for an observable
// condition with a deadline, and a timeout names what was awaited and what was last seen.

import { inspect } from 'node:util';
import { setTimeout as delay } from 'node:timers/promises';

export interface WaitOptions {
  /** Give up after this long. */
  timeoutMs: number;
  /** Pause between polls; default 100 ms. */
  intervalMs?: number;
  /** What is awaited, in words; it heads the timeout message ("BIRD session gob Established"). */
  what: string;
}

/**
 * Thrown by a poll function to stop waiting at once (for example: the daemon being polled has
 * exited, so waiting longer cannot help). Any other error thrown by a poll is remembered and
 * polling continues, because "not ready yet" often shows up as an error (socket missing).
 */
export class StopWaitingError extends Error {
  readonly code: string = 'HARNESS_STOP_WAITING';
}

export class WaitTimeoutError extends Error {
  readonly code = 'HARNESS_WAIT_TIMEOUT';
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
    readonly lastValue: unknown,
    readonly lastError: unknown,
    readonly polls: number,
  ) {
    super(
      `timed out after ${timeoutMs} ms (${polls} polls) waiting for ${what}; ` +
        `last value: ${describe(lastValue)}` +
        (lastError === undefined ? '' : `; last error: ${errorText(lastError)}`),
    );
    this.name = 'WaitTimeoutError';
  }
}

/** Polls `fn` until it returns a truthy value and resolves with that value. */
export async function waitFor<T>(
  fn: () => Promise<T | undefined | false | null> | T | undefined | false | null,
  opts: WaitOptions,
): Promise<T> {
  const intervalMs = opts.intervalMs ?? 100;
  const deadline = Date.now() + opts.timeoutMs;
  let lastValue: unknown;
  let lastError: unknown;
  let polls = 0;
  for (;;) {
    polls += 1;
    try {
      const value = await fn();
      if (value) return value;
      lastValue = value;
      lastError = undefined;
    } catch (err) {
      if (err instanceof StopWaitingError) throw err;
      lastError = err;
    }
    const left = deadline - Date.now();
    if (left <= 0) throw new WaitTimeoutError(opts.what, opts.timeoutMs, lastValue, lastError, polls);
    await delay(Math.min(intervalMs, left));
  }
}

function describe(value: unknown): string {
  const text = inspect(value, { depth: 5, breakLength: 160, maxArrayLength: 50 });
  return text.length > 3000 ? `${text.slice(0, 3000)}… (${text.length} chars)` : text;
}

function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message : describe(err);
  return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
}
