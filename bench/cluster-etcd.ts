// The etcd writer of bench/cluster.ts: a process in the etcd namespace (the benchmark itself
// runs in the root namespace and cannot reach it) holding one connection, so a timed change of
// cluster state costs one etcd round trip and not a CLI start-up. JSON lines:
//   in:  {"id":1,"op":"mesh","on":true}       switch the node-to-node mesh
//        {"id":2,"op":"get","key":"/wren/…"}
//        {"id":3,"op":"put","key":"/wren/…","value":"…"}
//        {"id":4,"op":"delete","key":"/wren/…"}
//   out: {"ev":"ready"}
//        {"ev":"done","id":1,"t":ms,"tDone":ms,"value":"…"}   t: wall clock just before the
//                                                write was sent, tDone: when etcd acknowledged it
//        {"ev":"error","id":1,"msg":"…"}

import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseClusterConfig, validateClusterConfig } from '../src/cluster/index.js';
import { EtcdHttpDatastore } from '../src/datastore/index.js';
import { keys } from '../src/datastore/keys.js';
import { cmp, op } from '../src/datastore/port.js';

export type EtcdCommand =
  | { op: 'mesh'; on: boolean }
  | { op: 'get'; key: string }
  | { op: 'put'; key: string; value: string }
  | { op: 'delete'; key: string };

export type EtcdRequest = EtcdCommand & { id: number };

const wall = (): number => performance.timeOrigin + performance.now();

function emit(obj: object): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

async function handle(store: EtcdHttpDatastore, r: EtcdRequest): Promise<object> {
  switch (r.op) {
    case 'get': {
      const kv = await store.get(r.key);
      return { value: kv?.value ?? null };
    }
    case 'put': {
      const t = wall();
      await store.put(r.key, r.value);
      return { t, tDone: wall() };
    }
    case 'delete': {
      const t = wall();
      await store.delete(r.key);
      return { t, tDone: wall() };
    }
    case 'mesh': {
      const kv = await store.get(keys.config());
      if (kv === undefined) throw new Error('cluster not initialised');
      const next = validateClusterConfig({ ...parseClusterConfig(kv), nodeToNodeMesh: r.on });
      const t = wall();
      const res = await store.txn([cmp.unchanged(kv.key, kv)], [op.put(kv.key, JSON.stringify(next))]);
      if (!res.succeeded) throw new Error('cluster config changed underneath');
      return { t, tDone: wall() };
    }
  }
}

async function main(): Promise<void> {
  const { endpoint } = JSON.parse(process.argv[2] ?? '{}') as { endpoint?: string };
  if (typeof endpoint !== 'string') throw new Error('cluster-etcd: argument {"endpoint": "http://…"} missing');
  const store = new EtcdHttpDatastore({ endpoints: [endpoint] });
  await store.get(keys.config());
  emit({ ev: 'ready' });
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    let r: EtcdRequest;
    try {
      r = JSON.parse(line) as EtcdRequest;
    } catch {
      emit({ ev: 'error', id: -1, msg: `not JSON: ${line.slice(0, 100)}` });
      return;
    }
    handle(store, r).then(
      (res) => emit({ ev: 'done', id: r.id, ...res }),
      (e: unknown) => emit({ ev: 'error', id: r.id, msg: e instanceof Error ? e.message : String(e) }),
    );
  });
  lines.on('close', () => {
    void store.close().finally(() => process.exit(0));
  });
  process.on('SIGTERM', () => process.exit(0));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    emit({ ev: 'error', id: -1, msg: err instanceof Error ? err.message : String(err) });
    process.exitCode = 1;
  });
}
