// Reading what the gateway answers: a plain message for unary calls, `{"result": ...}` lines for
// streams, and a gRPC status (see etcd-http-errors.ts) whenever the call failed.

import type { IncomingMessage } from 'node:http';
import { gatewayStatus, type GatewayStatus } from './etcd-http-errors.js';
import { LineSplitter } from './etcd-http-lines.js';

export type Reply = { readonly ok: object } | { readonly status: GatewayStatus };

const UNAVAILABLE = 14;

/** A whole answer; for a stream RPC (`streamed`), its first message. */
export function readReply(res: IncomingMessage, text: string, streamed: boolean): Reply {
  if (res.statusCode !== 200) return { status: gatewayStatus(res.statusCode ?? 0, text) };
  if (streamed) {
    const first = new LineSplitter().push(`${text}\n`)[0];
    return first === undefined ? { status: { code: UNAVAILABLE, message: 'stream ended without an answer' } } : readStreamLine(first);
  }
  return parseObject(text);
}

/** A stream message: `{"result": {...}}`, or `{"error": {...}}` when the RPC failed. */
export function readStreamLine(line: string): Reply {
  const parsed = parseObject(line);
  if (!('ok' in parsed)) return parsed;
  const msg = parsed.ok as { result?: unknown };
  if (typeof msg.result === 'object' && msg.result !== null) return { ok: msg.result };
  return { status: gatewayStatus(200, line) };
}

function parseObject(text: string): Reply {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null) return { ok: parsed };
  } catch {
    // Reported below.
  }
  return { status: { code: 0, message: `not an etcd answer: ${text.slice(0, 200)}` } };
}
