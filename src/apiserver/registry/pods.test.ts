import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.js';
import { pods, summarizePod, podGracefulDelete } from './pods.js';

const now = new Date('2024-05-01T12:00:00Z');
const ctx = { now: () => now };
const def = pods();

function pod(spec: Record<string, unknown>, extra: Partial<KubeObject> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'kuard', namespace: 'default' }, spec, ...extra };
}

test('pod defaults follow Kubernetes', () => {
  const p = pod({
    containers: [
      {
        name: 'kuard',
        image: 'gcr.io/kuar-demo/kuard-amd64:1',
        ports: [{ containerPort: 8080 }],
        livenessProbe: { httpGet: { port: 8080 } },
        resources: { limits: { cpu: '0.5', memory: '1.5Gi' } },
      },
      { name: 'side', image: 'busybox' },
    ],
  });
  def.applyDefaults(p);
  const spec = p.spec as any;
  assert.equal(spec.restartPolicy, 'Always');
  assert.equal(spec.terminationGracePeriodSeconds, 30);
  assert.equal(spec.dnsPolicy, 'ClusterFirst');
  assert.equal(spec.schedulerName, 'default-scheduler');
  assert.deepEqual(spec.securityContext, {});
  assert.equal(spec.enableServiceLinks, true);
  assert.equal(spec.priority, 0);
  assert.equal(spec.preemptionPolicy, 'PreemptLowerPriority');
  assert.equal(spec.tolerations, undefined);
  const [c0, c1] = spec.containers;
  assert.equal(c0.imagePullPolicy, 'IfNotPresent');
  assert.equal(c1.imagePullPolicy, 'Always');
  assert.equal(c0.terminationMessagePath, '/dev/termination-log');
  assert.equal(c0.terminationMessagePolicy, 'File');
  assert.equal(c0.ports[0].protocol, 'TCP');
  assert.deepEqual(c0.livenessProbe, {
    httpGet: { port: 8080, path: '/', scheme: 'HTTP' },
    timeoutSeconds: 1,
    periodSeconds: 10,
    successThreshold: 1,
    failureThreshold: 3,
  });
  assert.deepEqual(c0.resources, { limits: { cpu: '500m', memory: '1536Mi' }, requests: { cpu: '500m', memory: '1536Mi' } });
  assert.deepEqual(c1.resources, {});
});

test('pod validation messages', () => {
  const cases: [string, Record<string, unknown>, string[]][] = [
    ['no containers', {}, ['spec.containers: Required value']],
    ['missing image', { containers: [{ name: 'a' }] }, ['spec.containers[0].image: Required value']],
    [
      'bad container name',
      { containers: [{ name: 'Web_1', image: 'x' }] },
      [
        "spec.containers[0].name: Invalid value: \"Web_1\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
      ],
    ],
    [
      'duplicate names',
      { containers: [{ name: 'a', image: 'x' }, { name: 'a', image: 'y' }] },
      ['spec.containers[1].name: Duplicate value: "a"'],
    ],
    [
      'requests above limits',
      { containers: [{ name: 'a', image: 'x', resources: { limits: { cpu: '1' }, requests: { cpu: '2' } } }] },
      ['spec.containers[0].resources.requests[cpu]: Invalid value: "2": must be less than or equal to cpu limit of 1'],
    ],
    [
      'bad quantity',
      { containers: [{ name: 'a', image: 'x', resources: { limits: { memory: '12 GB' } } }] },
      [
        "spec.containers[0].resources.limits[memory]: Invalid value: \"12 GB\": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
        // the request is defaulted from the limit, so it is reported too
        "spec.containers[0].resources.requests[memory]: Invalid value: \"12 GB\": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
      ],
    ],
    [
      'probe without handler',
      { containers: [{ name: 'a', image: 'x', livenessProbe: { periodSeconds: 5 } }] },
      ['spec.containers[0].livenessProbe: Required value: must specify a handler type'],
    ],
    [
      'unknown volume mount',
      { containers: [{ name: 'a', image: 'x', volumeMounts: [{ name: 'data', mountPath: '/data' }] }] },
      ['spec.containers[0].volumeMounts[0].name: Not found: "data"'],
    ],
    [
      'restart policy',
      { restartPolicy: 'Sometimes', containers: [{ name: 'a', image: 'x' }] },
      ['spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'],
    ],
  ];
  for (const [name, spec, want] of cases) {
    const p = pod(spec);
    def.applyDefaults(p);
    const got = def.validateCreate(p).map((c) => `${c.field}: ${c.message}`);
    assert.deepEqual(got, want, name);
  }
  const bad = pod({ containers: [{ name: 'a', image: 'x' }] });
  bad.metadata!.name = 'Kuard';
  def.applyDefaults(bad);
  assert.match(def.validateCreate(bad)[0]!.message, /^Invalid value: "Kuard": a lowercase RFC 1123 subdomain/);
});

test('pod updates may only change images, deadlines and add tolerations', () => {
  const old = pod({ containers: [{ name: 'a', image: 'nginx:1' }] });
  def.applyDefaults(old);
  const imageOnly = structuredClone(old);
  (imageOnly.spec as any).containers[0].image = 'nginx:2';
  assert.deepEqual(def.validateUpdate(imageOnly, old), []);
  const addTol = structuredClone(old);
  (addTol.spec as any).tolerations = [{ key: 'k', operator: 'Exists' }];
  assert.deepEqual(def.validateUpdate(addTol, old), []);
  const port = structuredClone(old);
  (port.spec as any).containers[0].ports = [{ containerPort: 80, protocol: 'TCP' }];
  const errs = def.validateUpdate(port, old);
  assert.equal(errs.length, 1);
  assert.equal(errs[0]!.field, 'spec');
  assert.match(errs[0]!.message, /^Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image`/);
});

test('pod strategy: status reset on create, kept on update, spec kept on status update', () => {
  const p = pod({ containers: [{ name: 'a', image: 'x' }] }, { status: { phase: 'Running' } });
  def.applyDefaults(p);
  def.prepareForCreate(p, ctx);
  assert.deepEqual(p.status, { phase: 'Pending', qosClass: 'BestEffort' });
  assert.equal(p.metadata!.generation, 1);
  const upd = structuredClone(p);
  upd.status = { phase: 'Succeeded' };
  (upd.spec as any).containers[0].image = 'y';
  def.prepareForUpdate(upd, p, ctx);
  assert.deepEqual(upd.status, p.status);
  assert.equal(upd.metadata!.generation, 2);
  const st = structuredClone(p);
  (st.spec as any).containers[0].image = 'z';
  st.status = { phase: 'Running' };
  def.prepareForStatusUpdate!(st, p, ctx);
  assert.equal((st.spec as any).containers[0].image, 'x');
  assert.deepEqual(st.status, { phase: 'Running' });
});

const t0 = '2024-05-01T11:00:00Z';
function statusPod(status: Record<string, unknown>, spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): any {
  return { metadata: { name: 'p', creationTimestamp: t0, ...meta }, spec: { containers: [{ name: 'a' }], ...spec }, status };
}
const running = { state: { running: { startedAt: t0 } }, ready: true, restartCount: 0, name: 'a' };

test('STATUS / READY / RESTARTS columns', () => {
  const cases: [string, any, string, string, string][] = [
    ['pending', statusPod({ phase: 'Pending' }), '0/1', 'Pending', '0'],
    [
      'creating',
      statusPod({ phase: 'Pending', containerStatuses: [{ name: 'a', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] }),
      '0/1',
      'ContainerCreating',
      '0',
    ],
    ['running', statusPod({ phase: 'Running', containerStatuses: [running] }), '1/1', 'Running', '0'],
    [
      'crashloop',
      statusPod({
        phase: 'Running',
        containerStatuses: [
          {
            name: 'a',
            ready: false,
            restartCount: 3,
            state: { waiting: { reason: 'CrashLoopBackOff' } },
            lastState: { terminated: { exitCode: 1, finishedAt: '2024-05-01T11:59:50Z' } },
          },
        ],
      }),
      '0/1',
      'CrashLoopBackOff',
      '3 (10s ago)',
    ],
    [
      'completed',
      statusPod({ phase: 'Succeeded', containerStatuses: [{ name: 'a', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] }),
      '0/1',
      'Completed',
      '0',
    ],
    [
      'exit code without reason',
      statusPod({ phase: 'Failed', containerStatuses: [{ name: 'a', ready: false, restartCount: 0, state: { terminated: { exitCode: 2 } } }] }),
      '0/1',
      'ExitCode:2',
      '0',
    ],
    ['terminating', statusPod({ phase: 'Running', containerStatuses: [running] }, {}, { deletionTimestamp: '2024-05-01T11:59:00Z' }), '1/1', 'Terminating', '0'],
    [
      'init waiting',
      statusPod(
        { phase: 'Pending', initContainerStatuses: [{ name: 'i', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }] },
        { initContainers: [{ name: 'i' }] },
      ),
      '0/1',
      'Init:0/1',
      '0',
    ],
    [
      'init failed',
      statusPod(
        { phase: 'Pending', initContainerStatuses: [{ name: 'i', ready: false, restartCount: 1, state: { terminated: { exitCode: 1, reason: 'Error' } } }] },
        { initContainers: [{ name: 'i' }] },
      ),
      '0/1',
      'Init:Error',
      '1',
    ],
    [
      'image pull',
      statusPod({ phase: 'Pending', containerStatuses: [{ name: 'a', ready: false, restartCount: 0, state: { waiting: { reason: 'ErrImagePull' } } }] }),
      '0/1',
      'ErrImagePull',
      '0',
    ],
  ];
  for (const [name, p, ready, status, restarts] of cases) {
    const row = def.tableRow(p, ctx);
    assert.deepEqual(row.slice(0, 5), ['p', ready, status, restarts, '60m'], name);
  }
  assert.equal(summarizePod(statusPod({ phase: 'Running', containerStatuses: [running] })).status, 'Running');
});

test('wide pod cells', () => {
  const p = statusPod({ phase: 'Running', podIP: '10.0.0.5', podIPs: [{ ip: '10.0.0.5' }], containerStatuses: [running] }, { nodeName: 'node-1' });
  assert.deepEqual(def.tableRow(p, ctx).slice(5), ['10.0.0.5', 'node-1', '<none>', '<none>']);
  assert.deepEqual(def.tableColumns.map((c) => c.name), ['Name', 'Ready', 'Status', 'Restarts', 'Age', 'IP', 'Node', 'Nominated Node', 'Readiness Gates']);
});

test('graceful deletion', () => {
  assert.deepEqual(podGracefulDelete(statusPod({ phase: 'Pending' }), undefined), { graceSeconds: 0 });
  assert.deepEqual(podGracefulDelete(statusPod({ phase: 'Running' }, { nodeName: 'n', terminationGracePeriodSeconds: 30 }), undefined), { graceSeconds: 30 });
  assert.deepEqual(podGracefulDelete(statusPod({ phase: 'Running' }, { nodeName: 'n', terminationGracePeriodSeconds: 30 }), 5), { graceSeconds: 5 });
  assert.deepEqual(podGracefulDelete(statusPod({ phase: 'Succeeded' }, { nodeName: 'n' }), undefined), { graceSeconds: 0 });
});

test('field selectors', () => {
  const p = statusPod({ phase: 'Running' }, { nodeName: 'n1', schedulerName: 'default-scheduler' });
  assert.equal(def.fieldSelectors['spec.nodeName']!(p), 'n1');
  assert.equal(def.fieldSelectors['status.phase']!(p), 'Running');
  assert.equal(def.fieldSelectors['spec.schedulerName']!(p), 'default-scheduler');
});
