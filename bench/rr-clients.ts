// Route-reflector clients for bench/rr.ts: one process, M iBGP sessions, each from its own
// local address in the clients' namespace, each counting the benchmark prefixes it holds.
// Reports to the parent as JSON lines on stdout (times on the shared monotonic clock):
//   {"ev":"up","i":k}                       session k Established
//   {"ev":"done","i":k,"t":ms,"first":ms}   session k holds all N prefixes (first: first prefix seen)
//   {"ev":"progress","counts":[...]}        every 250 ms while counts change
//   {"ev":"down","i":k,"why":"..."}         session k lost (it reconnects, counts restart at 0)
//   {"ev":"error","msg":"..."}
// Exits when its stdin closes (the parent went away) or on SIGTERM.

import { fileURLToPath } from 'node:url';
import { PrefixCounter } from './rr-count.js';
import { ReadGate, establish, monotonicMs } from './rr-speaker.js';

export interface ClientsArgs {
  remote: string;
  port: number;
  asn: number;
  locals: string[];
  n: number;
  baseAddress: number;
  holdTime: number;
  /** How long to keep trying to establish, ms. */
  setupMs: number;
  /** Tick of the shared ReadGate, ms (0: read as data arrives). */
  readBatchMs: number;
}

function emit(obj: object): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

async function runClient(args: ClientsArgs, i: number, counter: PrefixCounter, gate: ReadGate): Promise<void> {
  const local = args.locals[i]!;
  let done = false;
  let first: number | undefined;
  for (;;) {
    let lost: (why: string) => void = () => undefined;
    const lostP = new Promise<string>((resolve) => (lost = resolve));
    await establish(
      {
        local,
        remote: args.remote,
        port: args.port,
        asn: args.asn,
        bgpId: local,
        holdTime: args.holdTime,
        gate,
        onUpdate(msg) {
          counter.update(msg);
          if (first === undefined && counter.count > 0) first = monotonicMs();
          if (!done && counter.count === args.n) {
            done = true;
            emit({ ev: 'done', i, t: monotonicMs(), first });
          }
        },
        onDown: (why) => lost(why),
      },
      Date.now() + args.setupMs,
    );
    emit({ ev: 'up', i });
    const why = await lostP;
    emit({ ev: 'down', i, why });
    // RFC 4271 §9: a lost session takes its routes with it; the reflector re-sends them all.
    counter.reset();
    done = false;
    first = undefined;
  }
}

function main(): void {
  const args = JSON.parse(process.argv[2] ?? '{}') as ClientsArgs;
  const counters = args.locals.map(() => new PrefixCounter(args.n, args.baseAddress));
  let last = '';
  const progress = setInterval(() => {
    const line = counters.map((c) => c.count).join(',');
    if (line !== last) {
      last = line;
      emit({ ev: 'progress', counts: counters.map((c) => c.count), foreign: counters.reduce((s, c) => s + c.foreign, 0) });
    }
  }, 250);
  progress.unref();
  const gate = new ReadGate(args.readBatchMs);
  for (let i = 0; i < args.locals.length; i++) {
    runClient(args, i, counters[i]!, gate).catch((err: unknown) => {
      emit({ ev: 'error', msg: `client ${i} (${args.locals[i]}): ${err instanceof Error ? err.message : String(err)}` });
    });
  }
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
  process.on('SIGTERM', () => process.exit(0));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
