import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { KubeClient } from './client.js';
import { FakeClock } from './clock.js';
import { EventRecorder } from './events.js';

interface Stored {
  metadata: { name: string };
  count: number;
  message: string;
  reason: string;
  firstTimestamp: string;
  lastTimestamp: string;
  source: { component: string };
  involvedObject: { kind: string; name: string; uid: string; fieldPath?: string };
}

async function eventServer(): Promise<{ url: string; events: Map<string, Stored>; close(): Promise<void> }> {
  const events = new Map<string, Stored>();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const name = decodeURIComponent(req.url!.split('?')[0].split('/').pop()!);
      if (req.method === 'POST') {
        const ev = JSON.parse(body) as Stored;
        events.set(ev.metadata.name, ev);
        res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(ev));
      } else if (req.method === 'PATCH') {
        const ev = events.get(name)!;
        Object.assign(ev, JSON.parse(body));
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(ev));
      } else res.writeHead(405).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    events,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

const rs = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web', namespace: 'default', uid: 'u1' } };

test('identical events bump count; similar ones combine after 10; spam is capped at 25 per object', async () => {
  const srv = await eventServer();
  const clock = new FakeClock(Date.UTC(2025, 0, 1, 0, 0, 0));
  const client = new KubeClient({ server: srv.url });
  const rec = new EventRecorder(client, { component: 'replicaset-controller' }, { clock });
  try {
    rec.event(rs, 'Warning', 'FailedCreate', 'Error creating: quota');
    clock.advance(2000);
    rec.event(rs, 'Warning', 'FailedCreate', 'Error creating: quota');
    await rec.flush();
    assert.equal(srv.events.size, 1);
    const first = [...srv.events.values()][0];
    assert.equal(first.count, 2);
    assert.equal(first.firstTimestamp, '2025-01-01T00:00:00Z');
    assert.equal(first.lastTimestamp, '2025-01-01T00:00:02Z');
    assert.equal(first.source.component, 'replicaset-controller');
    assert.deepEqual({ kind: first.involvedObject.kind, name: first.involvedObject.name, uid: first.involvedObject.uid }, { kind: 'ReplicaSet', name: 'web', uid: 'u1' });
    assert.match(first.metadata.name, /^web\.[0-9a-f]+$/);

    for (let i = 0; i < 30; i++) rec.event(rs, 'Normal', 'SuccessfulCreate', `Created pod: web-${i}`);
    await rec.flush();
    const created = [...srv.events.values()].filter((e) => e.reason === 'SuccessfulCreate');
    // 9 individual events, then one combined Event bumped for the rest of the 23 tokens left.
    assert.equal(created.length, 10);
    const combined = created.find((e) => e.message.startsWith('(combined from similar events): '))!;
    assert.equal(combined.count, 23 - 9);
    assert.equal(combined.message, '(combined from similar events): Created pod: web-22');
  } finally {
    client.close();
    await srv.close();
  }
});

test('container events carry the fieldPath and are counted per container', async () => {
  const srv = await eventServer();
  const clock = new FakeClock(Date.UTC(2025, 0, 1, 0, 0, 0));
  const client = new KubeClient({ server: srv.url });
  const rec = new EventRecorder(client, { component: 'kubelet', host: 'node-a' }, { clock });
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: 'default', uid: 'p1' } };
  try {
    rec.event(pod, 'Normal', 'Pulled', 'Container image "demo" already present on machine', 'spec.initContainers{setup}');
    rec.event(pod, 'Normal', 'Pulled', 'Container image "demo" already present on machine', 'spec.containers{web}');
    rec.event(pod, 'Normal', 'Pulled', 'Container image "demo" already present on machine', 'spec.containers{web}');
    rec.event(pod, 'Normal', 'Scheduled', 'Successfully assigned default/web-1 to node-a');
    await rec.flush();
    const byPath = new Map([...srv.events.values()].map((e) => [e.involvedObject.fieldPath, e]));
    assert.equal(srv.events.size, 3);
    assert.equal(byPath.get('spec.initContainers{setup}')?.count, 1);
    assert.equal(byPath.get('spec.containers{web}')?.count, 2);
    // A pod-level event has no fieldPath at all (not an empty one).
    const podLevel = [...srv.events.values()].find((e) => e.reason === 'Scheduled')!;
    assert.ok(!('fieldPath' in podLevel.involvedObject));
  } finally {
    client.close();
    await srv.close();
  }
});
