// The real node through `kujira up --runtime containerd` with every component, driven by kubectl and the
// kujira CLI as a user would: a Deployment rolled out and updated on the node, `kujira image import`, and
// deletion with --grace-period and --force. One cluster for the whole file (containerd start is the slow part).
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { core } from '../../src/api/types.js';
import { detectContainerdSupport } from '../../src/node/agent/detect.js';
import { CriClient } from '../../src/runtime/cri/client.js';
import { buildDockerArchive, buildOciArchive, buildOciImage, demoImage, DEMO_IMAGE } from '../../src/runtime/cri/images.js';
import { eventually, runKujira, TestCluster } from '../support/cluster.js';

const NODE = hostname().toLowerCase();
let cluster: TestCluster;
let cri: CriClient;

before(async () => {
  const support = await detectContainerdSupport();
  if (!support.ok) throw new Error(`these tests need containerd: ${support.why}`);
  cluster = await TestCluster.start({ extraArgs: ['--controllers=*', '--runtime', 'containerd', '--metric-resolution', '1s'], timeoutMs: 90_000 });
  cri = new CriClient(join(cluster.dataDir, 'node', 'containerd', 'containerd.sock'));
});

after(async () => {
  cri?.close();
  // SIGTERM: kujira up stops the agent, which removes every pod, its containerd, bridge and firewall rule.
  await cluster?.dispose();
});

const pod = async (name: string) => JSON.parse(await cluster.k(['get', 'pod', name, '-o', 'json'])) as core.Pod;
const sandboxesNamed = async (name: string) => (await cri.listPodSandbox()).filter((s) => s.metadata?.name === name);

test('the local node is real and Ready, with the demo image on it', async () => {
  await eventually(async () => /\sReady\s/.test(await cluster.k(['get', 'node', NODE])), 'node Ready', 30_000, 200);
  const node = JSON.parse(await cluster.k(['get', 'node', NODE, '-o', 'json'])) as core.Node;
  assert.match(node.status?.nodeInfo?.containerRuntimeVersion ?? '', /^containerd:\/\//);
  assert.ok(await cri.imageStatus(DEMO_IMAGE), `${DEMO_IMAGE} is on the node`);
});

test('kujira image import loads an OCI and a docker archive, and refuses a file that is not one', async () => {
  const base = await demoImage();
  const oci = buildOciImage({ ...base, names: ['localhost/kujira-imported:1'], env: ['PATH=/bin:/usr/bin', 'PORT=8080', 'VERSION=2'] });
  const ociFile = join(cluster.dataDir, 'imported.oci.tar');
  await writeFile(ociFile, buildOciArchive(oci));
  const dockerFile = join(cluster.dataDir, 'docker.tar');
  await writeFile(dockerFile, buildDockerArchive(buildOciImage({ ...base, names: ['localhost/kujira-docker:1'] })));
  const badFile = join(cluster.dataDir, 'notes.txt');
  await writeFile(badFile, 'these are notes, not an image\n'.repeat(50));

  const good = await runKujira(['image', 'import', ociFile, '--data-dir', cluster.dataDir], 60_000);
  assert.equal(good.code, 0, good.stderr);
  assert.equal(good.stdout, 'imported localhost/kujira-imported:1\n');
  const docker = await runKujira(['image', 'import', dockerFile, '--data-dir', cluster.dataDir], 60_000);
  assert.equal(docker.code, 0, docker.stderr);
  assert.equal(docker.stdout, 'imported localhost/kujira-docker:1\n');
  assert.equal((await cri.imageStatus('localhost/kujira-imported:1'))?.id, oci.configDigest);
  assert.ok(await cri.imageStatus('localhost/kujira-docker:1'));

  const bad = await runKujira(['image', 'import', badFile, '--data-dir', cluster.dataDir]);
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr, `kujira image import: ${badFile} is not an image archive (expected a tar from "docker save" or an OCI image layout)\n`);
  const missing = await runKujira(['image', 'import', join(cluster.dataDir, 'nope.tar'), '--data-dir', cluster.dataDir]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^kujira image import: cannot read .*nope\.tar: ENOENT/);
});

test('a Deployment rolls out on the real node, and kubectl set image rolls it over to a new image', async () => {
  await cluster.k(['create', 'deployment', 'web', `--image=${DEMO_IMAGE}`, '--replicas=2']);
  await cluster.k(['rollout', 'status', 'deployment/web', '--timeout=60s']);
  const listPods = async () => (JSON.parse(await cluster.k(['get', 'pods', '-l', 'app=web', '-o', 'json'])) as { items: core.Pod[] }).items;
  const first = await listPods();
  assert.equal(first.length, 2);
  for (const p of first) {
    assert.equal(p.spec?.nodeName, NODE);
    assert.equal(p.status?.phase, 'Running');
    assert.match(p.status?.podIP ?? '', /^10\./);
    assert.match(p.status?.containerStatuses?.[0]?.containerID ?? '', /^containerd:\/\/[0-9a-f]{64}$/);
  }
  // The image kubectl set image names must be on the node: it was imported above (IfNotPresent for a :1 tag).
  await cluster.k(['set', 'image', 'deployment/web', 'kujira-demo=localhost/kujira-imported:1']);
  await cluster.k(['rollout', 'status', 'deployment/web', '--timeout=90s']);
  const second = await eventually(async (): Promise<core.Pod[] | undefined> => {
    const items = await listPods();
    const done = items.length === 2 && items.every((p) => p.spec?.containers[0]?.image === 'localhost/kujira-imported:1' && p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp);
    return done ? items : undefined;
  }, 'only new pods', 30_000, 200);
  assert.equal(second!.filter((p) => first.some((f) => f.metadata?.uid === p.metadata?.uid)).length, 0);
  // Old pods' sandboxes are gone from containerd too.
  await eventually(async () => {
    for (const p of first) if ((await sandboxesNamed(p.metadata!.name!)).length) return false;
    return true;
  }, 'old sandboxes removed', 30_000, 200);
  const rs = await cluster.k(['get', 'rs', '-l', 'app=web']);
  assert.match(rs, /web-\S+\s+2\s+2\s+2\s/);
  // The metrics scraper reads the real node's usage: kubectl top shows the Deployment's pods.
  const top = await eventually(async () => {
    const r = await cluster.kubectl(['top', 'pod', '-l', 'app=web']);
    return r.code === 0 && r.stdout.split('\n').filter((l) => l.startsWith('web-')).length === 2 && r.stdout;
  }, 'kubectl top pod', 30_000, 500);
  assert.match(String(top), /^web-\S+\s+\d+m\s+\d+Mi\s*$/m);
  await cluster.k(['delete', 'deployment', 'web']);
});

test('kubectl delete --grace-period shortens the wait; --force removes the pod from the API at once and the node cleans up', async () => {
  const stubborn = (name: string) => JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name },
    spec: { terminationGracePeriodSeconds: 60, containers: [{ name: 'c', image: DEMO_IMAGE, imagePullPolicy: 'Never', command: ['sh', '-c', 'trap "" TERM; while :; do sleep 1; done'] }] } });
  await cluster.k(['apply', '-f', '-'], { input: stubborn('short-grace') });
  await cluster.k(['apply', '-f', '-'], { input: stubborn('forced') });
  for (const name of ['short-grace', 'forced']) await eventually(async () => (await pod(name)).status?.phase === 'Running', `${name} running`, 30_000, 200);

  let t0 = Date.now();
  await cluster.k(['delete', 'pod', 'short-grace', '--grace-period=2']);
  const took = Date.now() - t0;
  assert.ok(took >= 1900 && took < 10_000, `--grace-period=2 took ${took} ms`);
  assert.deepEqual(await sandboxesNamed('short-grace'), []);

  t0 = Date.now();
  const forced = await cluster.kubectl(['delete', 'pod', 'forced', '--force', '--grace-period=0']);
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stderr, /Immediate deletion does not wait for confirmation that the running resource has been terminated/);
  assert.ok(Date.now() - t0 < 5000);
  const gone = await cluster.kubectl(['get', 'pod', 'forced']);
  assert.match(gone.stderr, /pods "forced" not found/);
  // The node still stops what ran (with the kubelet's 2 s minimum for a zero grace period) and removes it.
  await eventually(async () => (await sandboxesNamed('forced')).length === 0, 'forced pod sandbox removed', 15_000, 200);
});
