// The informer and client against a small in-process HTTP server that speaks the
// list/watch protocol (ndjson watch, ERROR events with 410, bookmarks).
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { core } from '../api/types.js';
import { KubeClient } from './client.js';
import { OWNER_UID_INDEX, indexByOwnerUid } from './cache.js';
import { DeletedFinalStateUnknown, Informer } from './informer.js';
import { PODS } from './resources.js';

type Pod = core.Pod;

class TinyServer {
  rv = 0;
  objects = new Map<string, Pod>();
  history: Array<{ rv: number; type: string; object: Pod }> = [];
  compactedBelow = 0;
  watches = new Set<http.ServerResponse>();
  lists = 0;
  server = http.createServer((req, res) => this.handle(req, res));

  async start(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const w of this.watches) w.destroy();
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  write(type: 'ADDED' | 'MODIFIED' | 'DELETED', pod: Pod, record = true): Pod {
    const obj: Pod = structuredClone(pod);
    obj.metadata = { ...obj.metadata, resourceVersion: String(++this.rv) };
    if (type === 'DELETED') this.objects.delete(obj.metadata!.name!);
    else this.objects.set(obj.metadata!.name!, obj);
    if (record) {
      this.history.push({ rv: this.rv, type, object: obj });
      for (const w of this.watches) w.write(JSON.stringify({ type, object: obj }) + '\n');
    }
    return obj;
  }

  dropWatches(): void {
    for (const w of this.watches) w.destroy();
    this.watches.clear();
  }

  compact(): void {
    this.compactedBelow = this.rv;
    this.history = [];
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url!, 'http://x');
    if (url.pathname === '/api/v1/namespaces/default/pods/conflicted') {
      res.writeHead(409, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Conflict', code: 409, message: 'Operation cannot be fulfilled' }));
      return;
    }
    if (url.searchParams.get('watch') === 'true') {
      const from = Number(url.searchParams.get('resourceVersion') ?? '0');
      res.writeHead(200, { 'content-type': 'application/json' });
      if (from < this.compactedBelow) {
        const status = { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410, message: `too old resource version: ${from} (${this.compactedBelow})` };
        res.end(JSON.stringify({ type: 'ERROR', object: status }) + '\n');
        return;
      }
      // Write replayed events split across chunks to exercise line reassembly.
      const replay = this.history.filter((h) => h.rv > from).map((h) => JSON.stringify({ type: h.type, object: h.object }) + '\n').join('');
      if (replay) {
        const mid = Math.floor(replay.length / 2);
        res.write(replay.slice(0, mid));
        res.write(replay.slice(mid));
      }
      res.write(JSON.stringify({ type: 'BOOKMARK', object: { kind: 'Pod', apiVersion: 'v1', metadata: { resourceVersion: String(this.rv) } } }) + '\n');
      this.watches.add(res);
      res.on('close', () => this.watches.delete(res));
      return;
    }
    this.lists++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: String(this.rv) }, items: [...this.objects.values()] }));
  }
}

function pod(name: string, ownerUid?: string): Pod {
  return {
    metadata: { name, namespace: 'default', uid: `uid-${name}`, ownerReferences: ownerUid ? [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: ownerUid, controller: true }] : undefined },
    spec: { containers: [{ name: 'c', image: 'nginx' }] },
  };
}

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('informer lists, watches, resumes after a dropped watch, and relists on 410 with a diff', async () => {
  const srv = new TinyServer();
  const url = await srv.start();
  const client = new KubeClient({ server: url });
  srv.write('ADDED', pod('a', 'rs1'));
  srv.write('ADDED', pod('b'));
  const informer = new Informer<Pod>(client.resource(PODS), { namespace: 'default', indexers: { [OWNER_UID_INDEX]: indexByOwnerUid }, initialBackoffMs: 5, onError: () => {} });
  const log: string[] = [];
  informer.addEventHandler({
    onAdd: (o) => log.push(`add ${o.metadata!.name}`),
    onUpdate: (o, n) => log.push(`update ${o.metadata!.name} ${o.metadata!.resourceVersion}->${n.metadata!.resourceVersion}`),
    onDelete: (o) => log.push(o instanceof DeletedFinalStateUnknown ? `tombstone ${o.key}` : `delete ${o.metadata!.name}`),
  });
  try {
    informer.start();
    assert.equal(await informer.waitForSync(), true);
    assert.deepEqual(log.splice(0), ['add a', 'add b']);
    assert.deepEqual(informer.cache.byIndex(OWNER_UID_INDEX, 'rs1').map((p) => p.metadata!.name), ['a']);
    await until(() => srv.watches.size === 1, 'watch');

    srv.write('MODIFIED', { ...pod('a'), status: { phase: 'Running' } });
    srv.write('ADDED', pod('c'));
    await until(() => log.length === 2, 'watch events');
    assert.deepEqual(log.splice(0), ['update a 1->3', 'add c']);
    assert.equal(informer.cache.byIndex(OWNER_UID_INDEX, 'rs1').length, 0, 'index follows updates');

    // Dropped connection: the informer resumes from the last RV without relisting and misses nothing.
    const listsBefore = srv.lists;
    srv.dropWatches();
    srv.write('DELETED', pod('c'));
    await until(() => log.length === 1, 'event after resume');
    assert.deepEqual(log.splice(0), ['delete c']);
    assert.equal(srv.lists, listsBefore, 'no relist after a plain drop');

    // Compaction while disconnected: a 410 forces a relist, whose diff is emitted.
    srv.dropWatches();
    srv.write('DELETED', pod('b'), false);
    srv.write('MODIFIED', { ...pod('a'), status: { phase: 'Succeeded' } }, false);
    srv.write('ADDED', pod('d'), false);
    srv.compact();
    await until(() => log.length === 3, 'relist diff');
    assert.deepEqual(log.splice(0).sort(), ['add d', 'tombstone default/b', 'update a 3->7']);
    assert.equal(srv.lists, listsBefore + 1);
    assert.deepEqual(informer.cache.list().map((p) => p.metadata!.name).sort(), ['a', 'd']);
    assert.equal(informer.cache.get('default/a')!.kind, 'Pod', 'list items get apiVersion/kind');
  } finally {
    await informer.stop();
    client.close();
    await srv.stop();
  }
});

test('handlers added after sync get the cache replayed as adds', async () => {
  const srv = new TinyServer();
  const url = await srv.start();
  const client = new KubeClient({ server: url });
  srv.write('ADDED', pod('x'));
  const informer = new Informer<Pod>(client.resource(PODS), { namespace: 'default' });
  try {
    informer.start();
    await informer.waitForSync();
    const seen: string[] = [];
    informer.addEventHandler({ onAdd: (o) => seen.push(o.metadata!.name!) });
    assert.deepEqual(seen, ['x']);
  } finally {
    await informer.stop();
    client.close();
    await srv.stop();
  }
});

test('client rebuilds ApiError from the server Status', async () => {
  const srv = new TinyServer();
  const url = await srv.start();
  const client = new KubeClient({ server: url });
  try {
    await assert.rejects(client.resource(PODS).get('default', 'conflicted'), (err: { code?: number; reason?: string; name?: string }) => {
      assert.equal(err.name, 'ApiError');
      assert.equal(err.code, 409);
      assert.equal(err.reason, 'Conflict');
      return true;
    });
  } finally {
    client.close();
    await srv.stop();
  }
});
