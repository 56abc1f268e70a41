// `kujira up` as a user runs it: help, readiness, restart keeping objects, clear failures.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually, runKujira, TestCluster } from '../support/cluster.js';

describe('kujira up', () => {
  it('lists every flag in --help', async () => {
    const r = await runKujira(['up', '--help']);
    assert.equal(r.code, 0);
    for (const flag of ['--data-dir', '--address', '--port', '--runtime', '--simulated-nodes', '--help']) assert.match(r.stdout, new RegExp(flag));
  });

  it('rejects unknown flags and bad values with usage errors', async () => {
    const r = await runKujira(['up', '--bogus']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown flag: --bogus/);
    const r2 = await runKujira(['up', '--runtime', 'docker']);
    assert.equal(r2.code, 2);
    assert.match(r2.stderr, /--runtime: must be one of auto, containerd, simulated/);
  });

  describe('a running cluster', () => {
    let cluster: TestCluster;
    before(async () => {
      cluster = await TestCluster.start();
    });
    after(async () => {
      await cluster.dispose();
    });

    it('is ready quickly, writes a kubeconfig and serves kubectl get ns at once', async () => {
      assert.ok(cluster.readyMs < 5000, `ready after ${cluster.readyMs} ms`);
      assert.match(cluster.logs.stdout, /use it with: export KUBECONFIG=.*kubeconfig/);
      const out = await cluster.k(['get', 'ns']);
      for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) assert.match(out, new RegExp(`^${ns}\\s+Active`, 'm'));
      const kubeconfig = await readFile(cluster.kubeconfig, 'utf8');
      assert.match(kubeconfig, /certificate-authority-data/);
      assert.match(kubeconfig, /client-certificate-data/);
    });

    it('answers health checks without credentials', async () => {
      for (const path of ['/livez', '/readyz', '/healthz']) {
        const r = await cluster.http('GET', path, { auth: 'none' });
        assert.equal(r.status, 200, path);
        assert.equal(r.body, 'ok');
      }
      const v = await cluster.http('GET', '/readyz?verbose', { auth: 'none' });
      assert.match(v.body, /\[\+\]ping ok/);
      assert.match(v.body, /readyz check passed/);
    });

    it('logs structured lines', () => {
      assert.match(cluster.logs.stderr, /^\d{4}-\d\d-\d\dT[\d:.]+Z INFO  kujira cluster up url=https:\/\/127\.0\.0\.1:\d+ /m);
    });

    it('fails clearly when the port is taken', async () => {
      const port = new URL(cluster.url).port;
      const dir = await mkdtemp(join(tmpdir(), 'kujira-test-'));
      try {
        const r = await runKujira(['up', '--data-dir', dir, '--port', port]);
        assert.equal(r.code, 1);
        assert.match(r.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: address already in use`));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });

  it('keeps every object across a restart and shuts down cleanly on SIGTERM', async () => {
    const first = await TestCluster.start();
    try {
      await first.k(['create', '-f', '-'], { input: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: keepme\n' });
      assert.equal(await first.stop(), 0);
      assert.match(first.logs.stderr, /shutting down signal=SIGTERM/);
      const second = await TestCluster.start({ dataDir: first.dataDir });
      try {
        assert.ok(second.readyMs < 3000, `restart ready after ${second.readyMs} ms`);
        const out = await second.k(['get', 'ns', 'keepme', '-o', 'name']);
        assert.equal(out.trim(), 'namespace/keepme');
      } finally {
        await second.stop();
      }
    } finally {
      await first.dispose();
    }
  });

  it('runs the components on a thread of their own with --component-thread, logs through the main logger and stops cleanly', async () => {
    const c = await TestCluster.start({ extraArgs: ['--controllers=*', '--runtime', 'simulated', '--simulated-nodes', '2', '--component-thread', 'true'], timeoutMs: 30_000 });
    try {
      for (const name of ['controller-manager', 'scheduler', 'node-lifecycle-controller', 'horizontal-pod-autoscaler', 'simulated-nodes']) {
        assert.match(c.logs.stderr, new RegExp(`INFO  kujira component started component=${name} thread=components`));
      }
      // Lines the components log arrive under their own names, as from the main thread.
      assert.match(c.logs.stderr, /INFO  kujira simulated nodes ready count=2/);
      await c.k(['create', 'deployment', 'web', '--image=nginx', '--replicas=4']);
      await eventually(async () => /^web\s+4\/4\s+4\s+4\s/m.test(await c.k(['get', 'deploy', 'web', '--no-headers'])), 'deployment web 4/4 available', 20_000);
      const wide = await c.k(['get', 'pods', '-o', 'wide', '--no-headers']);
      assert.equal(wide.match(/kujira-sim-1/g)?.length, 2, wide);
      assert.equal(wide.match(/kujira-sim-2/g)?.length, 2, wide);
      assert.equal(await c.stop(), 0);
      assert.doesNotMatch(c.logs.stderr, /did not stop|crashed|ERROR/);
    } finally {
      await c.dispose();
    }
  });

  it('fails clearly when the data dir is unwritable', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kujira-test-'));
    try {
      const file = join(dir, 'not-a-dir');
      await writeFile(file, 'x');
      const r = await runKujira(['up', '--data-dir', join(file, 'data'), '--port', '0']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /data dir .*not-a-dir\/data is not writable/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('fails clearly when the store is corrupt', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kujira-test-'));
    try {
      await writeFile(join(dir, 'kujira.db'), Buffer.alloc(8192, 7));
      const r = await runKujira(['up', '--data-dir', dir, '--port', '0']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /cannot open the store: .*kujira\.db/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('fails clearly when the address cannot be bound', async () => {
    // A port held by another listener on the same address; distinct from the cluster test above.
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
    const port = (holder.address() as { port: number }).port;
    const dir = await mkdtemp(join(tmpdir(), 'kujira-test-'));
    try {
      const r = await runKujira(['up', '--data-dir', dir, '--port', String(port)]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /address already in use/);
    } finally {
      holder.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
