// kill -9 of `kujira up` during a burst of acknowledged creates: after a restart, every create
// the API acknowledged (201) is there.
import assert from 'node:assert/strict';
import { Agent, request } from 'node:https';
import { describe, it } from 'node:test';
import { TestCluster } from '../support/cluster.js';

function post(agent: Agent, url: string, path: string, body: string): Promise<number> {
  const u = new URL(path, url);
  return new Promise((resolve) => {
    const r = request(
      { host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(0));
      },
    );
    r.on('error', () => resolve(0));
    r.end(body);
  });
}

describe('durability', () => {
  it('keeps every acknowledged create after kill -9 and restart', async () => {
    const first = await TestCluster.start();
    const creds = await first.credentials();
    const agent = new Agent({ ca: creds.ca, cert: creds.cert, key: creds.key, keepAlive: true, maxSockets: 16 });
    const acknowledged: string[] = [];
    let stop = false;
    let n = 0;
    const worker = async () => {
      while (!stop) {
        const name = `burst-${n++}`;
        const pod = JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
        const code = await post(agent, first.url, '/api/v1/namespaces/default/pods', pod);
        if (code === 201) acknowledged.push(name);
        else if (code === 0) return;
      }
    };
    const workers = Array.from({ length: 16 }, worker);
    // Kill once a good number of writes went through, while the burst is still running.
    while (acknowledged.length < 300) await new Promise((r) => setTimeout(r, 10));
    await first.kill9();
    stop = true;
    await Promise.all(workers);
    agent.destroy();
    assert.ok(acknowledged.length >= 300);

    const second = await TestCluster.start({ dataDir: first.dataDir, ownsDir: true });
    try {
      const list = JSON.parse(await second.k(['get', 'pods', '-o', 'json'])) as { items: { metadata: { name: string } }[] };
      const stored = new Set(list.items.map((p) => p.metadata.name));
      const missing = acknowledged.filter((name) => !stored.has(name));
      assert.deepEqual(missing, [], `${missing.length} of ${acknowledged.length} acknowledged creates lost`);
    } finally {
      await second.dispose();
    }
  });
});
