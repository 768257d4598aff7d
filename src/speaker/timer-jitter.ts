// Jitter for the session timers (RFC 4271 §10): every timer but Hold is shortened by a random
// part of up to 25 %, so that peers do not fire in step.
//
// The random part is drawn from JITTER_STEPS even steps, not from a continuum, and the result
// is whole milliseconds. Node keeps one timer list per distinct duration: with a continuous
// draw every keepalive and connect-retry timer of every session made its own list (a list
// object and a priority-queue insert and removal each time), which was ~2% of a forming mesh's
// CPU. A hundred sessions now share at most JITTER_STEPS lists per timer; the spread is 25 %
// of the interval, as before.
import type { TimerName } from '../session/fsm-types.js';

export const JITTER_STEPS = 16;

/** The timer's duration in ms: `seconds` for Hold, else 0.75..1.0 of it in JITTER_STEPS steps. */
export function jitteredMs(timer: TimerName, seconds: number, random: () => number = Math.random): number {
  if (timer === 'Hold') return Math.round(seconds * 1000);
  const step = Math.min(JITTER_STEPS - 1, Math.floor(random() * JITTER_STEPS));
  return Math.round(seconds * 1000 * (0.75 + (0.25 * step) / (JITTER_STEPS - 1)));
}
