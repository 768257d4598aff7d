// Control socket client used by the CLI. Kept free of heavy imports (start-up time matters).
import { connect } from 'node:net';
import type { ApiErrorBody, ApiMethod, ApiMethods } from './types.js';

export class DaemonUnreachableError extends Error {
  override readonly name = 'DaemonUnreachableError';
  readonly code = 'daemon-unreachable';
  constructor(readonly socketPath: string, readonly reason: string) {
    super(`cannot reach the wren daemon at ${socketPath} (${reason}); is it running? (wren daemon --config FILE)`);
  }
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

export function callDaemon<M extends ApiMethod>(
  socketPath: string,
  method: M,
  params: ApiMethods[M]['params'],
  timeoutMs = 5000,
): Promise<ApiMethods[M]['result']> {
  return new Promise((resolve, reject) => {
    const sock = connect(socketPath);
    let buf = '';
    let settled = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      fn();
    };
    const timer = setTimeout(() => finish(() => reject(new DaemonUnreachableError(socketPath, `no answer within ${timeoutMs} ms`))), timeoutMs);
    sock.on('connect', () => sock.write(`${JSON.stringify({ id: 1, method, params })}\n`));
    sock.on('error', (e: NodeJS.ErrnoException) => finish(() => reject(new DaemonUnreachableError(socketPath, e.code ?? e.message))));
    sock.on('data', (chunk) => {
      buf += chunk.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      const reply = JSON.parse(buf.slice(0, nl)) as { id: number; result?: ApiMethods[M]['result']; error?: ApiErrorBody };
      finish(() => {
        if (reply.error) reject(new ApiError(reply.error.code, reply.error.message));
        else resolve(reply.result as ApiMethods[M]['result']);
      });
    });
    sock.on('close', () => finish(() => reject(new DaemonUnreachableError(socketPath, 'connection closed without an answer'))));
  });
}
