// Calls to etcd's JSON gateway over node:http(s): which endpoint to ask, the auth token, and
// what to do when an attempt fails. Unary calls go to the endpoint that answered last and fail
// over to the others when the request cannot have been seen (connection refused, dial timeout,
// dead pooled connection) or when repeating it is harmless (reads, lease refreshes). A write
// that may have reached a server that then went silent is not sent again elsewhere: the caller
// gets DatastoreUnavailableError and decides (a compare-and-swap re-reads and retries anyway).
// Streams (watch) take one endpoint per attempt. Any endpoint that fails (refuses, goes silent,
// or reports itself unavailable) is passed over by the calls and streams that start after it.

import { Agent as HttpAgent, type Agent } from 'node:http';
import type { EtcdHttpEndpoint } from './etcd-http-endpoints.js';
import {
  gatewayStatus,
  isInvalidToken,
  isUnavailable,
  translateGatewayStatus,
  type GatewayStatus,
  type HttpErrorContext,
} from './etcd-http-errors.js';
import { Exchange, ExchangeFailure } from './etcd-http-exchange.js';
import { https } from './etcd-http-https.js';
import { LineSplitter } from './etcd-http-lines.js';
import { readReply, readStreamLine, type Reply } from './etcd-http-reply.js';
import type { WireAuthenticateResponse, WireRequest } from './etcd-http-wire.js';
import { DatastoreClosedError, DatastoreUnavailableError, type DatastoreError } from './errors.js';

export interface EtcdHttpTransportInit {
  readonly endpoints: readonly EtcdHttpEndpoint[];
  /** PEM contents for https endpoints. */
  readonly tls: { readonly ca: Buffer; readonly cert?: Buffer; readonly key?: Buffer } | undefined;
  readonly credentials: { readonly username: string; readonly password: string } | undefined;
  readonly dialTimeoutMs: number;
  readonly requestTimeoutMs: number;
}

export interface CallOptions {
  /** Harmless to send twice, so it may be repeated on another endpoint after a lost answer. */
  readonly idempotent?: boolean;
  /** The RPC is a stream (lease keep-alive): the answer is its first message. */
  readonly streamed?: boolean;
  /** What the call is about, for the error it may turn into. */
  readonly ctx?: Omit<HttpErrorContext, 'endpoints'>;
  /** Sent without a token (authentication itself). */
  readonly anonymous?: boolean;
}

export interface StreamSink {
  /** One message of the stream, unwrapped from the gateway's `{"result": ...}`. */
  message(msg: object): void;
  /** The stream is over and will not be reopened by the transport: etcd refused it or failed it
   * (`err`), or the connection went away (`err` undefined or DatastoreUnavailableError). */
  end(err: DatastoreError | undefined): void;
}

export interface StreamHandle {
  /** The endpoint this stream went to. */
  readonly endpoint: EtcdHttpEndpoint;
  /** Ends the stream without calling the sink. */
  close(): void;
}

/** A pooled connection carries a few unary calls at a time; watches hold their own. */
const MAX_POOLED_SOCKETS = 16;
/** TCP keep-alive on idle and streaming connections, so NAT and firewalls keep them. */
const TCP_KEEPALIVE_MS = 10_000;

type StreamOutcome =
  | { readonly kind: 'rejected'; readonly status: GatewayStatus }
  | { readonly kind: 'failed'; readonly failure: ExchangeFailure }
  | { readonly kind: 'ended' };

export class EtcdHttpTransport {
  readonly labels: readonly string[];
  private readonly pooled: { readonly http: Agent; readonly https: Agent | undefined };
  private readonly dedicated: { readonly http: Agent; readonly https: Agent | undefined };
  private readonly inflight = new Map<Exchange, (err: Error) => void>();
  private readonly lastAnswer = new Map<EtcdHttpEndpoint, number>();
  private readonly probes = new Map<EtcdHttpEndpoint, Promise<boolean>>();
  private preferred = 0;
  private token: Promise<string> | undefined;
  private tokenValue: string | undefined;
  private closed = false;

  constructor(private readonly init: EtcdHttpTransportInit) {
    this.labels = init.endpoints.map((e) => e.label);
    const tls = init.tls;
    const agents = (keepAlive: boolean): { http: Agent; https: Agent | undefined } => {
      const base = keepAlive
        ? { keepAlive: true, keepAliveMsecs: TCP_KEEPALIVE_MS, maxSockets: MAX_POOLED_SOCKETS, maxFreeSockets: MAX_POOLED_SOCKETS }
        : { keepAlive: false };
      return {
        http: new HttpAgent(base),
        https: tls === undefined ? undefined : new (https().Agent)({ ...base, ca: tls.ca, cert: tls.cert, key: tls.key }),
      };
    };
    this.pooled = agents(true);
    this.dedicated = agents(false);
  }

  get hasCredentials(): boolean {
    return this.init.credentials !== undefined;
  }

  /** One request/answer; throws the datastore error the failure amounts to. */
  async call<T extends object>(path: string, body: WireRequest, opts: CallOptions = {}): Promise<T> {
    const json = JSON.stringify(body);
    const n = this.init.endpoints.length;
    const first = this.preferred;
    const failures: string[] = [];
    let renewed = false;
    let staleRetried = false;
    for (let i = 0; i < n; ) {
      if (this.closed) throw new DatastoreClosedError();
      const index = (first + i) % n;
      const endpoint = this.init.endpoints[index]!;
      const token = opts.anonymous === true ? undefined : await this.currentToken();
      let reply: Reply;
      try {
        reply = await this.post(endpoint, path, json, token, opts.streamed === true);
      } catch (err) {
        if (!(err instanceof ExchangeFailure)) throw err;
        if (err.kind === 'stale' && !staleRetried) {
          staleRetried = true;
          continue;
        }
        this.passOver(index);
        failures.push(`${endpoint.label}: ${err.message}`);
        if (err.kind === 'lost' && opts.idempotent !== true) break;
        i += 1;
        continue;
      }
      if ('ok' in reply) {
        this.preferred = index;
        return reply.ok as T;
      }
      if (token !== undefined && isInvalidToken(reply.status) && !renewed) {
        renewed = true;
        this.dropToken(token);
        continue;
      }
      if (isUnavailable(reply.status)) this.passOver(index);
      if (isUnavailable(reply.status) && opts.idempotent === true && i + 1 < n) {
        failures.push(`${endpoint.label}: ${reply.status.message}`);
        i += 1;
        continue;
      }
      throw translateGatewayStatus(reply.status, { ...opts.ctx, endpoints: this.labels });
    }
    throw new DatastoreUnavailableError(this.labels, failures.join('; '));
  }

  /** Opens a server stream (the request is sent whole; etcd's answers arrive as they come). */
  openStream(path: string, body: WireRequest, sink: StreamSink): StreamHandle {
    const index = this.preferred;
    const endpoint = this.init.endpoints[index]!;
    let exchange: Exchange | undefined;
    let closed = false;
    const handle: StreamHandle = {
      endpoint,
      close: () => {
        closed = true;
        exchange?.abort();
      },
    };
    const run = async (): Promise<void> => {
      let renewed = false;
      for (;;) {
        if (this.closed) return sink.end(new DatastoreClosedError());
        let token: string | undefined;
        try {
          token = await this.currentToken();
        } catch (err) {
          if (!closed) sink.end(err as DatastoreError);
          return;
        }
        if (closed) return;
        const outcome = await new Promise<StreamOutcome>((resolve) => {
          exchange = this.stream(endpoint, path, JSON.stringify(body), token, () => closed, sink, resolve);
        });
        if (closed) return;
        switch (outcome.kind) {
          case 'rejected':
            if (token !== undefined && isInvalidToken(outcome.status) && !renewed) {
              renewed = true;
              this.dropToken(token);
              continue;
            }
            return sink.end(translateGatewayStatus(outcome.status, { endpoints: this.labels }));
          case 'failed':
            // Whether it refused or went silent, the next attempt (a watch retries) goes elsewhere.
            this.passOver(index);
            return sink.end(new DatastoreUnavailableError(this.labels, `${endpoint.label}: ${outcome.failure.message}`));
          case 'ended':
            return sink.end(undefined);
        }
      }
    };
    // Started on a later tick, so the caller holds the handle before the sink can hear anything.
    void Promise.resolve().then(run);
    return handle;
  }

  /**
   * Whether `endpoint` answers HTTP at all (any answer counts), within the call budget. Watches
   * that have been quiet for a while ask, since a dead host leaves their connection open
   * without a word; one probe serves every caller, and any answer seen lately stands in for it.
   */
  probe(endpoint: EtcdHttpEndpoint, freshMs: number): Promise<boolean> {
    if (Date.now() - (this.lastAnswer.get(endpoint) ?? 0) < freshMs) return Promise.resolve(true);
    let p = this.probes.get(endpoint);
    if (p === undefined) {
      p = this.post(endpoint, '/v3/maintenance/status', '{}', undefined, false).then(
        () => true,
        (err: unknown) => {
          if (!(err instanceof ExchangeFailure)) return true;
          this.passOver(this.init.endpoints.indexOf(endpoint));
          return false;
        },
      );
      const cleared = p.finally(() => this.probes.delete(endpoint));
      this.probes.set(endpoint, cleared);
      p = cleared;
    }
    return p;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const [exchange, reject] of this.inflight) {
      exchange.abort();
      reject(new DatastoreClosedError());
    }
    this.inflight.clear();
    for (const agents of [this.pooled, this.dedicated]) {
      agents.http.destroy();
      agents.https?.destroy();
    }
  }

  /** Endpoint `index` just failed: calls and streams that start from now on try the next one
   * first (unless a success elsewhere has already moved them). */
  private passOver(index: number): void {
    if (this.preferred === index) this.preferred = (index + 1) % this.init.endpoints.length;
  }

  private agent(endpoint: EtcdHttpEndpoint, pooled: boolean): Agent {
    const agents = pooled ? this.pooled : this.dedicated;
    // parseEndpoints refuses https endpoints without TLS files, so the https agent exists.
    return endpoint.secure ? agents.https! : agents.http;
  }

  private currentToken(): Promise<string | undefined> {
    const creds = this.init.credentials;
    if (creds === undefined) return Promise.resolve(undefined);
    if (this.token === undefined) {
      const p: Promise<string> = this.call<WireAuthenticateResponse>(
        '/v3/auth/authenticate',
        { name: creds.username, password: creds.password },
        { anonymous: true, idempotent: true },
      ).then((res) => {
        if (this.token === p) this.tokenValue = res.token ?? '';
        return res.token ?? '';
      });
      this.token = p;
      // A failed authentication is not remembered: the next call tries again.
      p.catch(() => {
        if (this.token === p) this.token = undefined;
      });
    }
    return this.token;
  }

  /** Authenticates again before the next call (a watch was refused with the current token). */
  renewToken(): void {
    this.token = undefined;
    this.tokenValue = undefined;
  }

  /** Forgets `stale` (expired, or issued before an etcd restart) unless it was already replaced. */
  private dropToken(stale: string): void {
    if (this.tokenValue !== stale) return;
    this.token = undefined;
    this.tokenValue = undefined;
  }

  private post(endpoint: EtcdHttpEndpoint, path: string, json: string, token: string | undefined, streamed: boolean): Promise<Reply> {
    if (this.closed) return Promise.reject(new DatastoreClosedError());
    return new Promise<Reply>((resolve, reject) => {
      const exchange: Exchange = new Exchange(
        {
          endpoint,
          agent: this.agent(endpoint, true),
          path,
          body: json,
          token,
          dialTimeoutMs: this.init.dialTimeoutMs,
          budgetMs: this.init.dialTimeoutMs + this.init.requestTimeoutMs,
        },
        {
          response: (res) => {
            res.setEncoding('utf8');
            let text = '';
            res.on('data', (chunk: string) => (text += chunk));
            res.on('error', () => undefined);
            res.on('close', () => exchange.fail('lost', 'connection closed during the answer'));
            res.on('end', () => {
              exchange.settle();
              this.inflight.delete(exchange);
              this.lastAnswer.set(endpoint, Date.now());
              resolve(readReply(res, text, streamed));
            });
          },
          failure: (f) => {
            this.inflight.delete(exchange);
            reject(f);
          },
        },
      );
      this.inflight.set(exchange, reject);
    });
  }

  private stream(
    endpoint: EtcdHttpEndpoint,
    path: string,
    json: string,
    token: string | undefined,
    isClosed: () => boolean,
    sink: StreamSink,
    resolve: (o: StreamOutcome) => void,
  ): Exchange {
    const exchange: Exchange = new Exchange(
      {
        endpoint,
        agent: this.agent(endpoint, false),
        path,
        body: json,
        token,
        dialTimeoutMs: this.init.dialTimeoutMs,
        // Until the response starts: etcd answers a watch at once with its "created" message.
        budgetMs: this.init.dialTimeoutMs + this.init.requestTimeoutMs,
        tcpKeepAliveMs: TCP_KEEPALIVE_MS,
      },
      {
        response: (res) => {
          exchange.settle();
          this.lastAnswer.set(endpoint, Date.now());
          res.setEncoding('utf8');
          res.on('error', () => undefined);
          res.on('close', () => resolve({ kind: 'ended' }));
          if (res.statusCode !== 200) {
            let text = '';
            res.on('data', (chunk: string) => (text += chunk));
            res.on('end', () => resolve({ kind: 'rejected', status: gatewayStatus(res.statusCode ?? 0, text) }));
            return;
          }
          const lines = new LineSplitter();
          res.on('data', (chunk: string) => {
            this.lastAnswer.set(endpoint, Date.now());
            for (const line of lines.push(chunk)) {
              if (isClosed()) return;
              const reply = readStreamLine(line);
              if ('ok' in reply) {
                sink.message(reply.ok);
              } else {
                resolve({ kind: 'rejected', status: reply.status });
                exchange.abort();
                return;
              }
            }
          });
        },
        failure: (failure) => resolve({ kind: 'failed', failure }),
      },
    );
    return exchange;
  }
}
