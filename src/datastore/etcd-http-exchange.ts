// One HTTP POST to one etcd endpoint, with the two deadlines the datastore promises: the
// connection (TCP, and TLS when used) must be up within the dial timeout, and the whole exchange
// must get its answer within the budget (dial + request timeout) — so an endpoint that accepts
// but never answers fails as fast as one that refuses. Failures below HTTP are classified by
// whether the server can have seen the request, which decides whether a write may be retried on
// another endpoint.

import { request as httpRequest, type Agent, type ClientRequest, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { EtcdHttpEndpoint } from './etcd-http-endpoints.js';
import { https } from './etcd-http-https.js';

/**
 * - `connect`: no connection was made (refused, unreachable, dial timeout, TLS handshake
 *   failed); the server never saw the request.
 * - `stale`: a pooled keep-alive connection turned out to be closed before any answer (the server
 *   dropped it while idle, e.g. on restart); the request was not processed.
 * - `lost`: the request may have reached the server; only a read may be repeated.
 */
export type ExchangeFailureKind = 'connect' | 'stale' | 'lost';

export class ExchangeFailure extends Error {
  override readonly name = 'ExchangeFailure';
  constructor(
    readonly kind: ExchangeFailureKind,
    message: string,
  ) {
    super(message);
  }
}

export interface ExchangeInit {
  readonly endpoint: EtcdHttpEndpoint;
  readonly agent: Agent;
  readonly path: string;
  readonly body: string;
  /** etcd auth token, sent as the Authorization header (the gateway passes it on as metadata). */
  readonly token: string | undefined;
  readonly dialTimeoutMs: number;
  /** From now until the exchange is settled. */
  readonly budgetMs: number;
  /** TCP keep-alive probes on the connection (long-lived streams); off when undefined. */
  readonly tcpKeepAliveMs?: number;
}

export interface ExchangeSink {
  response(res: IncomingMessage): void;
  /** Called at most once, and never after `settle` or `abort`. */
  failure(f: ExchangeFailure): void;
}

export class Exchange {
  private readonly req: ClientRequest;
  private readonly budgetTimer: NodeJS.Timeout;
  private dialTimer: NodeJS.Timeout | undefined;
  private connected = false;
  private answered = false;
  private done = false;

  constructor(
    private readonly init: ExchangeInit,
    private readonly sink: ExchangeSink,
  ) {
    const { endpoint } = init;
    const request = endpoint.secure ? https().request : httpRequest;
    this.req = request({
      host: endpoint.host,
      port: endpoint.port,
      method: 'POST',
      path: init.path,
      agent: init.agent,
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(init.body),
        ...(init.token === undefined ? {} : { authorization: init.token }),
      },
    });
    this.budgetTimer = setTimeout(
      () => this.fail(this.connected ? 'lost' : 'connect', `no answer within ${init.budgetMs} ms`),
      init.budgetMs,
    );
    this.req.on('socket', (socket) => this.onSocket(socket));
    this.req.on('response', (res) => {
      this.answered = true;
      // A response that outlived its exchange is dropped; its 'error' must not go unheard.
      if (this.done) res.on('error', () => undefined).destroy();
      else this.sink.response(res);
    });
    this.req.on('error', (err: NodeJS.ErrnoException) => this.onError(err));
    this.req.end(init.body);
  }

  /** The caller has what it waited for and owns the response from here: timers stop. */
  settle(): void {
    this.done = true;
    this.clearTimers();
  }

  /** Ends the exchange and its connection without reporting a failure. */
  abort(): void {
    this.settle();
    this.req.destroy();
  }

  /** Ends the exchange with a failure (e.g. the response broke off while being read). */
  fail(kind: ExchangeFailureKind, message: string): void {
    if (this.done) return;
    this.abort();
    this.sink.failure(new ExchangeFailure(kind, message));
  }

  private onSocket(socket: Socket): void {
    if (this.init.tcpKeepAliveMs !== undefined) socket.setKeepAlive(true, this.init.tcpKeepAliveMs);
    if (this.req.reusedSocket || !socket.connecting) {
      this.connected = true;
      return;
    }
    this.dialTimer = setTimeout(
      () => this.fail('connect', `no connection within ${this.init.dialTimeoutMs} ms`),
      this.init.dialTimeoutMs,
    );
    // With TLS the dial includes the handshake: a peer that never completes it is not "up".
    socket.once(this.init.endpoint.secure ? 'secureConnect' : 'connect', () => {
      this.connected = true;
      clearTimeout(this.dialTimer);
    });
  }

  private onError(err: NodeJS.ErrnoException): void {
    const code = err.code ?? '';
    const detail = code !== '' && !err.message.includes(code) ? `${code} ${err.message}` : err.message;
    if (!this.connected) this.fail('connect', detail);
    else if (this.req.reusedSocket && !this.answered && (code === 'ECONNRESET' || code === 'EPIPE')) this.fail('stale', detail);
    else this.fail('lost', detail);
  }

  private clearTimers(): void {
    clearTimeout(this.budgetTimer);
    clearTimeout(this.dialTimer);
  }
}
