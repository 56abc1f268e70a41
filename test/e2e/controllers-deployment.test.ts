// Deployment scenarios from the seed, through the real kubectl against `kujira up`.
import assert from 'node:assert/strict';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import type { apps, core } from '../../src/api/types.js';
import { Informer, PODS, REPLICASETS } from '../../src/client/index.js';
import { KujiraUp, eventually } from '../support/controllers-cluster.js';

const NEVER_READY = 'nginx:never-ready';

function deployYaml(name: string, o: { replicas?: number; image?: string; strategy?: string; extra?: string } = {}): string {
  return `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: ${o.replicas ?? 3}
${o.extra ?? ''}
  strategy:
${o.strategy ?? '    type: RollingUpdate'}
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
      - name: nginx
        image: ${o.image ?? 'nginx:1.25'}
`;
}

const rsOf = async (c: KujiraUp, app: string): Promise<apps.ReplicaSet[]> => (await c.client.resource(REPLICASETS).list('default', { labelSelector: `app=${app}` })).items;

describe('Deployment controller', () => {
  let c: KujiraUp;
  beforeEach(async () => {
    c = await KujiraUp.start({ ready: (p) => p.spec?.containers?.[0]?.image !== NEVER_READY });
  });
  afterEach(async () => {
    await c?.stop();
  });
  after(() => undefined);

  it('rolls out, updates, keeps history with change-cause, undoes with renumbering, and --to-revision', async () => {
    await c.apply(deployYaml('web', { replicas: 3 }));
    const status = await c.k(['rollout', 'status', 'deploy/web', '--timeout=60s']);
    assert.match(status, /deployment "web" successfully rolled out/);
    assert.match(await c.k(['get', 'deploy', 'web', '--no-headers']), /^web\s+3\/3\s+3\s+3\s/);

    await c.k(['annotate', 'deploy/web', 'kubernetes.io/change-cause=update to 1.26']);
    await c.k(['set', 'image', 'deploy/web', 'nginx=nginx:1.26']);
    await c.k(['rollout', 'status', 'deploy/web', '--timeout=60s']);
    const wide = await c.k(['get', 'rs', '-o', 'wide', '--no-headers']);
    const lines = wide.trim().split('\n');
    assert.equal(lines.length, 2, wide);
    assert.ok(lines.some((l) => /^web-\S+\s+0\s+0\s+0\s.*nginx:1.25/.test(l)), wide);
    assert.ok(lines.some((l) => /^web-\S+\s+3\s+3\s+3\s.*nginx:1.26.*pod-template-hash=/.test(l)), wide);

    const history = await c.k(['rollout', 'history', 'deploy/web']);
    assert.match(history, /1\s+<none>|1\s+update to 1.26/);
    assert.match(history, /2\s+update to 1.26/);

    assert.match(await c.k(['rollout', 'undo', 'deploy/web']), /rolled back/);
    await c.k(['rollout', 'status', 'deploy/web', '--timeout=60s']);
    const afterUndo = await c.k(['rollout', 'history', 'deploy/web']);
    // Rolling back from 2 to 1 makes the old template revision 3; revision 1 no longer exists.
    assert.doesNotMatch(afterUndo, /^1\s/m);
    assert.match(afterUndo, /^2\s/m);
    assert.match(afterUndo, /^3\s/m);
    assert.match(await c.k(['get', 'deploy', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].image} {.metadata.annotations.deployment\\.kubernetes\\.io/revision}']), /^nginx:1.25 3$/);

    await c.k(['rollout', 'undo', 'deploy/web', '--to-revision=2']);
    await c.k(['rollout', 'status', 'deploy/web', '--timeout=60s']);
    assert.match(await c.k(['rollout', 'history', 'deploy/web', '--revision=4']), /Image:\s+nginx:1.26/);
    const revisions = (await rsOf(c, 'web')).map((rs) => rs.metadata?.annotations?.['deployment.kubernetes.io/revision']).sort();
    assert.deepEqual(revisions, ['3', '4']);
    const describe = await c.k(['describe', 'deploy', 'web']);
    assert.match(describe, /ScalingReplicaSet\s+.*deployment-controller\s+Scaled up replica set web-\S+ from \d+ to \d+/);
    assert.match(describe, /Scaled down replica set web-\S+ from \d+ to \d+/);
  });

  it('10 replicas, maxSurge 20%, maxUnavailable 0: never more than 12 pods, never fewer than 10 available', async () => {
    await c.apply(deployYaml('surge', { replicas: 10, strategy: '    type: RollingUpdate\n    rollingUpdate: {maxSurge: 20%, maxUnavailable: 0}' }));
    await c.k(['rollout', 'status', 'deploy/surge', '--timeout=60s']);

    const violations: string[] = [];
    const trace: string[] = [];
    let observations = 0;
    const rsInformer = new Informer<apps.ReplicaSet>(c.client.resource(REPLICASETS), { namespace: 'default', labelSelector: 'app=surge' });
    const podInformer = new Informer<core.Pod>(c.client.resource(PODS), { namespace: 'default', labelSelector: 'app=surge' });
    const check = () => {
      observations++;
      const rss = rsInformer.cache.list();
      const desired = rss.reduce((n, rs) => n + (rs.spec?.replicas ?? 0), 0);
      if (desired > 12) violations.push(`replica sets want ${desired} pods`);
      trace.push(rss.map((rs) => `${rs.metadata?.name}:${rs.spec?.replicas}/${rs.status?.availableReplicas ?? 0}@${rs.metadata?.resourceVersion}`).join(' ') + ` pods=${podInformer.cache.list().length}`);
      const pods = podInformer.cache.list();
      if (pods.length > 12) violations.push(`${pods.length} pods exist`);
      const ready = pods.filter((p) => !p.metadata?.deletionTimestamp && p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True')).length;
      if (podInformer.hasSynced() && ready < 10) violations.push(`only ${ready} ready pods`);
    };
    for (const inf of [rsInformer, podInformer] as Array<Informer<apps.ReplicaSet> | Informer<core.Pod>>) {
      (inf as Informer<core.Pod>).addEventHandler({ onAdd: check, onUpdate: check, onDelete: check });
      inf.start();
    }
    try {
      await rsInformer.waitForSync();
      await podInformer.waitForSync();
      await c.k(['set', 'image', 'deploy/surge', 'nginx=nginx:1.26']);
      const out = await c.k(['rollout', 'status', 'deploy/surge', '--timeout=90s']);
      assert.match(out, /successfully rolled out/);
      assert.match(out, /Waiting for deployment "surge" rollout to finish: \d+ out of 10 new replicas have been updated/);
    } finally {
      await rsInformer.stop();
      await podInformer.stop();
    }
    assert.ok(observations > 20, `observed ${observations} steps`);
    if (violations.length) console.log('TRACE\n' + trace.join('\n'));
    assert.deepEqual(violations, []);
    const d = JSON.parse(await c.k(['get', 'deploy', 'surge', '-o', 'json'])) as apps.Deployment;
    assert.deepEqual(
      { replicas: d.status?.replicas, updated: d.status?.updatedReplicas, ready: d.status?.readyReplicas, available: d.status?.availableReplicas, unavailable: d.status?.unavailableReplicas ?? 0, observed: d.status?.observedGeneration },
      { replicas: 10, updated: 10, ready: 10, available: 10, unavailable: 0, observed: d.metadata?.generation },
    );
    const rss = await rsOf(c, 'surge');
    const newest = rss.find((rs) => rs.spec?.replicas === 10)!;
    assert.equal(newest.metadata?.annotations?.['deployment.kubernetes.io/desired-replicas'], '10');
    assert.equal(newest.metadata?.annotations?.['deployment.kubernetes.io/max-replicas'], '12');
    // The seed's first step: the new ReplicaSet starts with 2 pods (10 + 20% surge − 10 old).
    const events = await c.k(['get', 'events', '--field-selector', 'reason=ScalingReplicaSet', '-o', 'jsonpath={range .items[*]}{.message}{"\\n"}{end}']);
    assert.match(events, new RegExp(`Scaled up replica set ${newest.metadata!.name} from 0 to 2`));
  });

  it('Recreate removes every old pod before the first new one exists', async () => {
    await c.apply(deployYaml('rec', { replicas: 3, strategy: '    type: Recreate' }));
    await c.k(['rollout', 'status', 'deploy/rec', '--timeout=60s']);
    const mixed: string[] = [];
    const pods = new Informer<core.Pod>(c.client.resource(PODS), { namespace: 'default', labelSelector: 'app=rec' });
    const check = () => {
      const hashes = new Set(pods.cache.list().map((p) => p.metadata?.labels?.['pod-template-hash']));
      if (hashes.size > 1) mixed.push([...hashes].join(','));
    };
    pods.addEventHandler({ onAdd: check, onUpdate: check, onDelete: check });
    pods.start();
    try {
      await pods.waitForSync();
      await c.k(['set', 'image', 'deploy/rec', 'nginx=nginx:1.26']);
      await c.k(['rollout', 'status', 'deploy/rec', '--timeout=60s']);
    } finally {
      await pods.stop();
    }
    assert.deepEqual(mixed, []);
    const events = await c.k(['describe', 'deploy', 'rec']);
    assert.match(events, /Scaled down replica set rec-\S+ from 3 to 0/);
    assert.match(events, /Scaled up replica set rec-\S+ from 0 to 3/);
  });

  it('pause holds a template change back; resume rolls it out', async () => {
    await c.apply(deployYaml('p', { replicas: 2 }));
    await c.k(['rollout', 'status', 'deploy/p', '--timeout=60s']);
    await c.k(['rollout', 'pause', 'deploy/p']);
    await c.k(['set', 'image', 'deploy/p', 'nginx=nginx:1.26']);
    const cond = await eventually(async () => {
      const out = await c.k(['get', 'deploy', 'p', '-o', 'jsonpath={.status.conditions[?(@.type=="Progressing")].reason}']);
      return out === 'DeploymentPaused' && out;
    }, 'paused condition');
    assert.equal(cond, 'DeploymentPaused');
    assert.equal((await rsOf(c, 'p')).length, 1, 'no new ReplicaSet while paused');
    await c.k(['rollout', 'resume', 'deploy/p']);
    await c.k(['rollout', 'status', 'deploy/p', '--timeout=60s']);
    const rss = await rsOf(c, 'p');
    assert.equal(rss.length, 2);
    assert.ok(rss.some((rs) => rs.spec?.replicas === 2 && rs.spec.template?.spec?.containers[0].image === 'nginx:1.26'));
  });

  it('a rollout whose pods never become ready exceeds its progress deadline', async () => {
    // The first rollout keeps the default deadline (a loaded machine may take more than
    // 2 s to make its pods ready); the deadline drops to 2 s with the template change.
    await c.apply(deployYaml('slow', { replicas: 2 }));
    await c.k(['rollout', 'status', 'deploy/slow', '--timeout=60s']);
    await c.k(['patch', 'deploy/slow', '-p', JSON.stringify({ spec: { progressDeadlineSeconds: 2, template: { spec: { containers: [{ name: 'nginx', image: NEVER_READY }] } } } })]);
    const r = await c.kubectl(['rollout', 'status', 'deploy/slow', '--timeout=60s']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /error: deployment "slow" exceeded its progress deadline/);
    const d = JSON.parse(await c.k(['get', 'deploy', 'slow', '-o', 'json'])) as apps.Deployment;
    const p = d.status!.conditions!.find((x) => x.type === 'Progressing')!;
    assert.deepEqual({ status: p.status, reason: p.reason }, { status: 'False', reason: 'ProgressDeadlineExceeded' });
    assert.match(p.message!, /^ReplicaSet "slow-\S+" has timed out progressing\.$/);
    // maxUnavailable 25% of 2 rounds down to 0 and maxSurge rounds up to 1: the old pods stay.
    assert.equal(d.status?.availableReplicas, 2);
  });

  it('revisionHistoryLimit prunes old zero-sized ReplicaSets; kubectl delete removes everything, --cascade=orphan nothing', async () => {
    await c.apply(deployYaml('h', { replicas: 2, extra: '  revisionHistoryLimit: 1' }));
    for (const tag of ['1.26', '1.27', '1.28']) {
      await c.k(['set', 'image', 'deploy/h', `nginx=nginx:${tag}`]);
      await c.k(['rollout', 'status', 'deploy/h', '--timeout=60s']);
    }
    await eventually(async () => (await rsOf(c, 'h')).length === 2, 'history pruned to 1 old ReplicaSet');

    await c.k(['delete', 'deploy', 'h']);
    await eventually(async () => (await rsOf(c, 'h')).length === 0 && (await c.client.resource(PODS).list('default', { labelSelector: 'app=h' })).items.length === 0, 'cascade');

    await c.apply(deployYaml('o', { replicas: 2 }));
    await c.k(['rollout', 'status', 'deploy/o', '--timeout=60s']);
    await c.k(['delete', 'deploy', 'o', '--cascade=orphan']);
    const rss = await eventually(async () => {
      const list = await rsOf(c, 'o');
      return list.length === 1 && !(list[0].metadata?.ownerReferences ?? []).length && list;
    }, 'orphaned rs');
    assert.equal(rss[0].spec?.replicas, 2);
    assert.equal((await c.client.resource(PODS).list('default', { labelSelector: 'app=o' })).items.length, 2);
  });

  it('scaling during a rollout is spread proportionally', async () => {
    await c.apply(deployYaml('prop', { replicas: 10, strategy: '    type: RollingUpdate\n    rollingUpdate: {maxSurge: 3, maxUnavailable: 2}' }));
    await c.k(['rollout', 'status', 'deploy/prop', '--timeout=60s']);
    await c.k(['set', 'image', 'deploy/prop', `nginx=${NEVER_READY}`]);
    // Stuck mid-rollout: new RS at 5 (10+3 − 8 old), old at 8 (10 − 2 unavailable).
    await eventually(async () => {
      const sizes = (await rsOf(c, 'prop')).map((rs) => rs.spec?.replicas).sort((a, b) => a! - b!);
      return JSON.stringify(sizes) === '[5,8]';
    }, 'stuck at 8 old / 5 new');
    await c.k(['scale', 'deploy/prop', '--replicas=20']);
    // Allowed 20+3 = 23: 10 more spread by share of max-replicas 13 → old 8→14, new 5→9.
    const sizes = await eventually(async () => {
      const s = (await rsOf(c, 'prop')).map((rs) => rs.spec?.replicas ?? 0);
      return s.reduce((a, b) => a + b, 0) === 23 && s.sort((a, b) => a - b);
    }, 'proportional scale');
    assert.deepEqual(sizes, [9, 14]);
  });
});

describe('Invalid Deployments and ReplicaSets are refused with field paths', () => {
  let c: KujiraUp;
  beforeEach(async () => {
    c = await KujiraUp.start();
  });
  afterEach(async () => {
    await c?.stop();
  });

  it('refuses a selector not matching the template, both fence-posts 0, negative replicas, maxUnavailable over 100%', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['selector', deployYaml('bad').replace('matchLabels: {app: bad}', 'matchLabels: {app: other}'), /spec\.template\.metadata\.labels: Invalid value: .*`selector` does not match template `labels`/],
      ['fence-posts', deployYaml('bad', { strategy: '    type: RollingUpdate\n    rollingUpdate: {maxSurge: 0, maxUnavailable: 0}' }), /spec\.strategy\.rollingUpdate\.maxUnavailable: Invalid value: .*may not be 0 when `maxSurge` is 0/],
      ['replicas', deployYaml('bad', { replicas: -1 }), /spec\.replicas: Invalid value: -1: must be greater than or equal to 0/],
      ['percent', deployYaml('bad', { strategy: '    type: RollingUpdate\n    rollingUpdate: {maxSurge: 1, maxUnavailable: "150%"}' }), /spec\.strategy\.rollingUpdate\.maxUnavailable: Invalid value: .*must not be greater than 100%/],
      [
        'rs container name',
        'apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: bad}\nspec:\n  selector: {matchLabels: {app: bad}}\n  template:\n    metadata: {labels: {app: bad}}\n    spec: {containers: [{name: Bad_Name, image: nginx}]}\n',
        /spec\.template\.spec\.containers\[0\]\.name: Invalid value: "Bad_Name"/,
      ],
    ];
    for (const [what, yaml, want] of cases) {
      const r = await c.kubectl(['apply', '-f', '-'], { input: yaml });
      assert.notEqual(r.code, 0, what);
      assert.match(r.stderr, want, what);
    }
    assert.match((await c.kubectl(['get', 'deploy,rs'])).stderr, /No resources found/);
  });
});
