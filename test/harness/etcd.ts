// A throwaway single-member etcd on loopback for datastore and IPAM tests. It can be stopped
// and started again on the same data (watch-resume tests); destroy() also removes the data.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdHttpDatastore } from '../../src/datastore/index.js';
import { spawnDaemon, type Daemon } from './exec.js';
import { waitFor } from './wait.js';

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const address = srv.address();
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** /dev/shm when it is writable (etcd's fsyncs are then cheap), else the temp dir. */
function scratchDir(): string {
  try {
    return mkdtempSync('/dev/shm/wren-etcd-');
  } catch {
    return mkdtempSync(join(tmpdir(), 'wren-etcd-'));
  }
}

export class EtcdServer {
  daemon: Daemon | undefined;
  readonly dataDir = scratchDir();

  private constructor(
    readonly clientPort: number,
    readonly peerPort: number,
  ) {}

  /** A new server on free ports, started and answering. */
  static async launch(): Promise<EtcdServer> {
    const server = new EtcdServer(await freePort(), await freePort());
    await server.start();
    return server;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.clientPort}`;
  }

  async start(): Promise<void> {
    const peer = `http://127.0.0.1:${this.peerPort}`;
    this.daemon = spawnDaemon(
      'etcd',
      [
        '--name', 'wren-test',
        '--data-dir', join(this.dataDir, 'data'),
        '--listen-client-urls', this.endpoint,
        '--advertise-client-urls', this.endpoint,
        '--listen-peer-urls', peer,
        '--initial-advertise-peer-urls', peer,
        '--initial-cluster', `wren-test=${peer}`,
        '--log-level', 'warn',
      ],
      { logFile: join(this.dataDir, 'etcd.log'), name: 'etcd' },
    );
    const probe = new EtcdHttpDatastore({ endpoints: [this.endpoint], dialTimeoutMs: 200, requestTimeoutMs: 500 });
    try {
      await waitFor(
        async () => {
          this.daemon?.assertRunning();
          await probe.list('/');
          return true;
        },
        { timeoutMs: 10_000, intervalMs: 50, what: 'etcd to answer' },
      );
    } finally {
      await probe.close();
    }
  }

  async stop(): Promise<void> {
    await this.daemon?.stop(3_000);
  }

  /** Stops and removes the data directory. */
  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
