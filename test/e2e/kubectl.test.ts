// The real kubectl against `kujira up`: what a user types for Pods, ReplicaSets, Deployments.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually, repoRoot, TestCluster } from '../support/cluster.js';

const fixtures = join(repoRoot, 'test', 'e2e', 'fixtures');
const fixture = (name: string) => join(fixtures, name);

describe('kubectl against kujira', () => {
  let c: TestCluster;
  let tmp: string;
  before(async () => {
    c = await TestCluster.start();
    tmp = await mkdtemp(join(tmpdir(), 'kujira-kubectl-'));
  });
  after(async () => {
    await c.dispose();
    await rm(tmp, { recursive: true, force: true });
  });

  it('rejects the seed manifests with misspelt fields, naming the field, and writes nothing', async () => {
    for (const [file, field] of [
      ['seed-kuard-pod.yaml', 'spec.containres'],
      ['seed-kuard-liveness.yaml', 'spec.containres'],
      ['kuard-probe-typo.yaml', 'spec.containers[0].livenessProbe.failuerThreshold'],
    ]) {
      const r = await c.kubectl(['apply', '-f', fixture(file)]);
      assert.notEqual(r.code, 0, file);
      assert.match(r.stderr, new RegExp(`strict decoding error: unknown field "${field.replace(/[[\].]/g, '\\$&')}"`), r.stderr);
      const get = await c.kubectl(['get', 'pod', 'kuard']);
      assert.notEqual(get.code, 0);
      assert.match(get.stderr, /pods "kuard" not found/);
    }
  });

  it("answers the seed's extensions/v1beta1 ReplicaSet as Kubernetes does: no such kind", async () => {
    const r = await c.kubectl(['apply', '-f', fixture('seed-kuard-rs-extensions.yaml')]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /no matches for kind "ReplicaSet" in version "extensions\/v1beta1"/, r.stderr);
  });

  it('applies a pod, applies it unchanged, then applies a change', async () => {
    assert.match(await c.k(['apply', '-f', fixture('kuard-pod.yaml')]), /pod\/kuard created/);
    assert.match(await c.k(['apply', '-f', fixture('kuard-pod.yaml')]), /pod\/kuard unchanged/);
    const changed = (await readFile(fixture('kuard-pod.yaml'), 'utf8')).replace('kuard-amd64:1', 'kuard-amd64:2');
    assert.match(await c.k(['apply', '-f', '-'], { input: changed }), /pod\/kuard configured/);
    const image = await c.k(['get', 'pod', 'kuard', '-o', 'jsonpath={.spec.containers[0].image}']);
    assert.equal(image, 'gcr.io/kuar-demo/kuard-amd64:2');
  });

  it('gets as table, wide, yaml, json and by label', async () => {
    const table = await c.k(['get', 'pods']);
    assert.match(table, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\n/);
    assert.match(table, /^kuard\s+0\/1\s+Pending\s+0\s+\d+s/m);
    const wide = await c.k(['get', 'pods', '-o', 'wide']);
    assert.match(wide, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+/);
    const yaml = await c.k(['get', 'pod', 'kuard', '-o', 'yaml']);
    assert.match(yaml, /^apiVersion: v1\nkind: Pod\n/);
    assert.match(yaml, /restartPolicy: Always/);
    assert.match(yaml, /terminationGracePeriodSeconds: 30/);
    const json = JSON.parse(await c.k(['get', 'pod', 'kuard', '-o', 'json']));
    assert.equal(json.metadata.name, 'kuard');
    assert.equal(json.spec.containers[0].imagePullPolicy, 'IfNotPresent');
    assert.match(await c.k(['get', 'pods', '-l', 'app=kuard,version=2']), /^kuard\s/m);
    const none = await c.kubectl(['get', 'pods', '-l', 'app=kuard,version=3']);
    assert.match(none.stderr, /No resources found in default namespace/);
  });

  it('labels and annotates, and get -w sees the change', async () => {
    const watch = c.kubectlBackground(['get', 'pods', '-w']);
    try {
      await eventually(() => /kuard/.test(watch.out()), 'the initial row');
      assert.match(await c.k(['label', 'pod', 'kuard', 'env=prod']), /pod\/kuard labeled/);
      assert.match(await c.k(['annotate', 'pod', 'kuard', 'owner=team-a']), /pod\/kuard annotated/);
      await eventually(() => (watch.out().match(/^kuard\s/gm) ?? []).length >= 2, 'a second row after the label');
    } finally {
      await watch.stop();
    }
    const meta = JSON.parse(await c.k(['get', 'pod', 'kuard', '-o', 'jsonpath={.metadata}']));
    assert.equal(meta.labels.env, 'prod');
    assert.equal(meta.annotations.owner, 'team-a');
  });

  it('describes a pod with its events', async () => {
    const uid = await c.k(['get', 'pod', 'kuard', '-o', 'jsonpath={.metadata.uid}']);
    const event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'kuard.1' },
      involvedObject: { apiVersion: 'v1', kind: 'Pod', name: 'kuard', namespace: 'default', uid },
      reason: 'Testing',
      message: 'hello from the test',
      type: 'Normal',
      source: { component: 'e2e' },
      count: 1,
      firstTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      lastTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    };
    await c.k(['create', '-f', '-'], { input: JSON.stringify(event) });
    const out = await c.k(['describe', 'pod', 'kuard']);
    assert.match(out, /^Name:\s+kuard$/m);
    assert.match(out, /^Status:\s+Pending$/m);
    assert.match(out, /Normal\s+Testing\s+.*e2e\s+hello from the test/);
    assert.match(await c.k(['get', 'events']), /Testing/);
  });

  it('edits through KUBE_EDITOR', async () => {
    const editor = join(tmp, 'editor.sh');
    await writeFile(editor, '#!/bin/sh\nsed -i "s/owner: team-a/owner: team-b/" "$1"\n');
    await chmod(editor, 0o755);
    assert.match(await c.k(['edit', 'pod', 'kuard'], { env: { KUBE_EDITOR: editor } }), /pod\/kuard edited/);
    assert.equal(await c.k(['get', 'pod', 'kuard', '-o', 'jsonpath={.metadata.annotations.owner}']), 'team-b');
  });

  it('diffs and dry-runs on the server without writing', async () => {
    const changed = (await readFile(fixture('kuard-pod.yaml'), 'utf8')).replace('kuard-amd64:1', 'kuard-amd64:3');
    const file = join(tmp, 'kuard-v3.yaml');
    await writeFile(file, changed);
    const diff = await c.kubectl(['diff', '-f', file]);
    assert.equal(diff.code, 1, diff.stderr);
    assert.match(diff.stdout, /-\s+- image: gcr.io\/kuar-demo\/kuard-amd64:2|-\s+image: gcr.io\/kuar-demo\/kuard-amd64:2/);
    assert.match(diff.stdout, /\+\s+(- )?image: gcr.io\/kuar-demo\/kuard-amd64:3/);
    assert.match(await c.k(['apply', '--dry-run=server', '-f', file]), /pod\/kuard configured \(server dry run\)/);
    assert.equal(await c.k(['get', 'pod', 'kuard', '-o', 'jsonpath={.spec.containers[0].image}']), 'gcr.io/kuar-demo/kuard-amd64:2');
    const fresh = (await readFile(fixture('kuard-pod.yaml'), 'utf8')).replace('name: kuard\n', 'name: kuard-dry\n');
    assert.match(await c.k(['apply', '--dry-run=server', '-f', '-'], { input: fresh }), /pod\/kuard-dry created \(server dry run\)/);
    assert.notEqual((await c.kubectl(['get', 'pod', 'kuard-dry'])).code, 0);
  });

  it('scales a deployment and a replicaset through the scale subresource', async () => {
    assert.match(await c.k(['apply', '-f', fixture('nginx-deploy.yaml')]), /deployment.apps\/nginx created/);
    assert.match(await c.k(['apply', '-f', fixture('kuard-rs.yaml')]), /replicaset.apps\/kuard created/);
    assert.match(await c.k(['scale', 'deployment', 'nginx', '--replicas=4']), /deployment.apps\/nginx scaled/);
    assert.match(await c.k(['scale', 'rs', 'kuard', '--replicas=3']), /replicaset.apps\/kuard scaled/);
    assert.equal(await c.k(['get', 'deploy', 'nginx', '-o', 'jsonpath={.spec.replicas}']), '4');
    assert.equal(await c.k(['get', 'rs', 'kuard', '-o', 'jsonpath={.spec.replicas}']), '3');
    const deploy = await c.k(['get', 'deploy']);
    assert.match(deploy, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\n/);
    const rs = await c.k(['get', 'rs', '-o', 'wide']);
    assert.match(rs, /^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR\n/);
    assert.match(rs, /^kuard\s+3\s+\d+\s+\d+\s+\S+\s+kuard\s+gcr.io\/kuar-demo\/kuard-amd64:2\s+app=kuard,version=2/m);
    const yaml = await c.k(['get', 'deploy', 'nginx', '-o', 'yaml']);
    assert.match(yaml, /revisionHistoryLimit: 10/);
    assert.match(yaml, /progressDeadlineSeconds: 600/);
  });

  it('explains pod.spec.containers', async () => {
    const out = await c.k(['explain', 'pod.spec.containers']);
    assert.match(out, /^KIND:\s+Pod$/m);
    assert.match(out, /^FIELD: containers <\[\]Container>$/m);
    assert.match(out, /livenessProbe\s+<Probe>/);
  });

  it('deletes, including --cascade=orphan', async () => {
    // The API server alone (no garbage collector here): the orphan finalizer holds the replicaset.
    const orphan = await c.kubectl(['delete', 'rs', 'kuard', '--cascade=orphan', '--wait=false']);
    assert.equal(orphan.code, 0, orphan.stderr);
    assert.match(orphan.stdout, /replicaset.apps "kuard" deleted/);
    const rs = JSON.parse(await c.k(['get', 'rs', 'kuard', '-o', 'json']));
    assert.deepEqual(rs.metadata.finalizers, ['orphan']);
    assert.ok(rs.metadata.deletionTimestamp);
    assert.match(await c.k(['delete', 'pod', 'kuard']), /pod "kuard" deleted/);
    assert.notEqual((await c.kubectl(['get', 'pod', 'kuard'])).code, 0);
    assert.match(await c.k(['delete', 'deploy', 'nginx']), /deployment.apps "nginx" deleted/);
  });

  it('runs the generator commands, which send protobuf bodies', async () => {
    assert.match(await c.k(['create', 'namespace', 'gen']), /namespace\/gen created/);
    assert.match(await c.k(['create', 'deployment', 'web', '-n', 'gen', '--image=nginx:1.25', '--replicas=3']), /deployment.apps\/web created/);
    const d = JSON.parse(await c.k(['get', 'deploy', 'web', '-n', 'gen', '-o', 'json']));
    assert.equal(d.spec.replicas, 3);
    assert.deepEqual(d.spec.selector, { matchLabels: { app: 'web' } });
    assert.equal(d.spec.template.spec.containers[0].image, 'nginx:1.25');
    assert.equal(d.spec.template.spec.containers[0].imagePullPolicy, 'IfNotPresent');
    assert.match(await c.k(['create', 'deployment', 'idle', '-n', 'gen', '--image=nginx', '--replicas=0']), /created/);
    assert.equal(await c.k(['get', 'deploy', 'idle', '-n', 'gen', '-o', 'jsonpath={.spec.replicas}']), '0');
    assert.match(await c.k(['autoscale', 'deployment', 'web', '-n', 'gen', '--min=2', '--max=5', '--cpu-percent=80']), /autoscaled/);
    const hpa = JSON.parse(await c.k(['get', 'hpa', 'web', '-n', 'gen', '-o', 'json']));
    assert.equal(hpa.spec.minReplicas, 2);
    assert.equal(hpa.spec.maxReplicas, 5);
    assert.equal(hpa.spec.scaleTargetRef.name, 'web');
    assert.match(await c.k(['delete', 'ns', 'gen']), /namespace "gen" deleted/);
  });

  it('works in other namespaces and deletes a namespace with what is in it', async () => {
    await c.k(['create', '-f', '-'], { input: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n' });
    await c.k(['apply', '-n', 'team', '-f', fixture('kuard-pod.yaml')]);
    assert.match(await c.k(['get', 'pods', '-A']), /^team\s+kuard\s/m);
    assert.match(await c.k(['delete', 'ns', 'team']), /namespace "team" deleted/);
    assert.notEqual((await c.kubectl(['get', 'ns', 'team'])).code, 0);
  });
});
