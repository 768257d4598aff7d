// Control socket server: newline-delimited JSON over a unix socket, mode 0600.
import { createServer, type Server, type Socket } from 'node:net';
import { chmodSync, mkdirSync, rmSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ApiMethod, ApiMethods } from './types.js';

export type ApiHandlers = { [M in ApiMethod]: (params: ApiMethods[M]['params']) => ApiMethods[M]['result'] | Promise<ApiMethods[M]['result']> };

export class ApiRequestError extends Error {
  override readonly name = 'ApiRequestError';
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

export class ControlServer {
  private server: Server | null = null;
  private readonly clients = new Set<Socket>();

  constructor(private readonly path: string, private readonly handlers: ApiHandlers) {}

  async listen(): Promise<void> {
    mkdirSync(dirname(this.path), { recursive: true });
    if (existsSync(this.path)) rmSync(this.path); // stale socket from a crashed daemon
    const server = createServer((sock) => this.serve(sock));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    chmodSync(this.path, 0o600);
  }

  private serve(sock: Socket): void {
    this.clients.add(sock);
    sock.on('close', () => this.clients.delete(sock));
    sock.on('error', () => sock.destroy());
    let buf = '';
    sock.on('data', (chunk) => {
      buf += chunk.toString('utf8');
      if (buf.length > 1 << 20) {
        sock.destroy();
        return;
      }
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        void this.handle(sock, line);
      }
    });
  }

  private async handle(sock: Socket, line: string): Promise<void> {
    let id: unknown = null;
    try {
      const req = JSON.parse(line) as { id?: unknown; method?: unknown; params?: unknown };
      id = req.id ?? null;
      if (typeof req.method !== 'string' || !Object.hasOwn(this.handlers, req.method)) {
        throw new ApiRequestError('unknown-method', `unknown method ${JSON.stringify(req.method)}`);
      }
      const handler = this.handlers[req.method as ApiMethod] as (p: unknown) => unknown;
      const result = await handler(req.params ?? {});
      sock.write(`${JSON.stringify({ id, result })}\n`);
    } catch (e) {
      const code = e instanceof ApiRequestError ? e.code : e instanceof SyntaxError ? 'bad-request' : 'internal';
      const message = e instanceof Error ? e.message : String(e);
      if (!sock.destroyed) sock.write(`${JSON.stringify({ id, error: { code, message } })}\n`);
    }
  }

  async close(): Promise<void> {
    for (const c of this.clients) c.destroy();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(this.path, { force: true });
  }
}
