import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { core } from '../../api/types.js';
import { LAST_CHANGE_TRIGGER_TIME_ANNOTATION, computeLastChangeTriggerTime, formatTriggerTime, type TriggerTimeState } from '../runtime/services.js';
import { OVER_CAPACITY_ANNOTATION, desiredEndpoints, planEndpoints, truncateSubsets } from './desired.js';

function pod(name: string, ip: string | undefined, opts: { ready?: boolean; labels?: Record<string, string>; deleting?: boolean; phase?: string; restart?: string; ports?: core.ContainerPort[] } = {}): core.Pod {
  return {
    metadata: { name, namespace: 'default', uid: `uid-${name}`, labels: opts.labels ?? { app: 'kuard' }, ...(opts.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    spec: { nodeName: 'node-1', restartPolicy: opts.restart ?? 'Always', containers: [{ name: 'c', image: 'i', ports: opts.ports ?? [{ name: 'http', containerPort: 8080 }] }] },
    status: { phase: opts.phase ?? 'Running', ...(ip ? { podIP: ip } : {}), conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }] },
  };
}

function svc(spec: core.ServiceSpec, labels?: Record<string, string>): core.Service {
  return { metadata: { name: 'kuard', namespace: 'default', uid: 'svc-uid', labels }, spec: { selector: { app: 'kuard' }, ...spec } };
}

const addr = (name: string, ip: string) => ({ ip, nodeName: 'node-1', targetRef: { kind: 'Pod', namespace: 'default', name, uid: `uid-${name}` } });

test('desired endpoints: a table of services and pods', () => {
  const cases: Array<{ name: string; svc: core.Service; pods: core.Pod[]; subsets: core.EndpointSubset[]; labels?: Record<string, string> }> = [
    {
      name: 'ready pods in addresses, sorted by IP as a string (as Kubernetes does), with the target port',
      svc: svc({ ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] }),
      pods: [pod('a', '10.0.0.9'), pod('b', '10.0.0.10')],
      subsets: [{ addresses: [addr('b', '10.0.0.10'), addr('a', '10.0.0.9')], ports: [{ port: 8080, protocol: 'TCP' }] }],
    },
    {
      name: 'a not-ready pod sits in notReadyAddresses',
      svc: svc({ ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] }),
      pods: [pod('a', '10.0.0.9'), pod('b', '10.0.0.10', { ready: false })],
      subsets: [{ addresses: [addr('a', '10.0.0.9')], notReadyAddresses: [addr('b', '10.0.0.10')], ports: [{ port: 8080, protocol: 'TCP' }] }],
    },
    {
      name: 'publishNotReadyAddresses lists every pod as ready, terminating ones too',
      svc: svc({ publishNotReadyAddresses: true, ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] }),
      pods: [pod('a', '10.0.0.9', { ready: false }), pod('b', '10.0.0.10', { deleting: true })],
      subsets: [{ addresses: [addr('b', '10.0.0.10'), addr('a', '10.0.0.9')], ports: [{ port: 8080, protocol: 'TCP' }] }],
    },
    {
      name: 'relabelled, unscheduled-without-IP, terminating and finished pods are out',
      svc: svc({ ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] }),
      pods: [
        pod('a', '10.0.0.9'),
        pod('relabelled', '10.0.0.3', { labels: { app: 'debug' } }),
        pod('pending', undefined),
        pod('going', '10.0.0.4', { deleting: true }),
        pod('done', '10.0.0.5', { phase: 'Succeeded', restart: 'Never' }),
      ],
      subsets: [{ addresses: [addr('a', '10.0.0.9')], ports: [{ port: 8080, protocol: 'TCP' }] }],
    },
    {
      name: 'a named targetPort resolves per pod; pods without the port are left out of that port',
      svc: svc({ ports: [{ name: 'web', port: 80, targetPort: 'http', protocol: 'TCP' }] }),
      pods: [pod('a', '10.0.0.9'), pod('b', '10.0.0.10', { ports: [{ name: 'http', containerPort: 9090 }] }), pod('c', '10.0.0.11', { ports: [] })],
      subsets: [
        { addresses: [addr('a', '10.0.0.9')], ports: [{ name: 'web', port: 8080, protocol: 'TCP' }] },
        { addresses: [addr('b', '10.0.0.10')], ports: [{ name: 'web', port: 9090, protocol: 'TCP' }] },
      ],
    },
    {
      name: 'two ports reached by the same pods share one subset',
      svc: svc({ ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }, { name: 'admin', port: 81, targetPort: 9000, protocol: 'TCP' }] }),
      pods: [pod('a', '10.0.0.9')],
      subsets: [{ addresses: [addr('a', '10.0.0.9')], ports: [{ name: 'admin', port: 9000, protocol: 'TCP' }, { name: 'http', port: 8080, protocol: 'TCP' }] }],
    },
    {
      name: 'headless without ports lists addresses only, labelled headless',
      svc: svc({ clusterIP: 'None' }, { app: 'kuard' }),
      pods: [pod('a', '10.0.0.9')],
      subsets: [{ addresses: [addr('a', '10.0.0.9')] }],
      labels: { app: 'kuard', 'service.kubernetes.io/headless': '' },
    },
    { name: 'no pods: no subsets', svc: svc({ ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] }), pods: [], subsets: [] },
  ];
  for (const c of cases) {
    const got = desiredEndpoints(c.svc, c.pods);
    assert.deepEqual(got.subsets, c.subsets, c.name);
    if (c.labels) assert.deepEqual(got.labels, c.labels, c.name);
  }
});

const ms = (t: string) => Date.parse(t);

test('trigger time: as Kubernetes computes last-change-trigger-time, step by step', () => {
  const service = { ...svc({ ports: [] }), metadata: { ...svc({}).metadata, creationTimestamp: '2026-01-01T00:00:00Z' } };
  const readyAt = (name: string, t: string, labels?: Record<string, string>) => {
    const p = pod(name, '10.0.0.1', { labels });
    p.status!.conditions = [{ type: 'Ready', status: 'True', lastTransitionTime: t }];
    return p;
  };
  const steps: Array<{ name: string; pods: core.Pod[]; want: string | undefined; svc?: core.Service }> = [
    { name: 'a Service seen for the first time: its creation time', pods: [readyAt('a', '2026-01-01T00:00:05Z')], want: '2026-01-01T00:00:00Z' },
    { name: 'nothing moved: no trigger time', pods: [readyAt('a', '2026-01-01T00:00:05Z')], want: undefined },
    { name: 'one pod turned ready: its transition time', pods: [readyAt('a', '2026-01-01T00:00:05Z'), readyAt('b', '2026-01-01T00:00:09Z')], want: '2026-01-01T00:00:09Z' },
    {
      name: 'two pods moved: the earlier of them',
      pods: [readyAt('a', '2026-01-01T00:00:20Z'), readyAt('b', '2026-01-01T00:00:15Z')],
      want: '2026-01-01T00:00:15Z',
    },
    { name: 'a pod went away: nothing moved forward', pods: [readyAt('a', '2026-01-01T00:00:20Z')], want: undefined },
    { name: 'a pod the Service does not select is not a trigger', pods: [readyAt('a', '2026-01-01T00:00:20Z'), readyAt('x', '2026-01-01T00:01:00Z', { app: 'other' })], want: undefined },
  ];
  let state: TriggerTimeState | undefined;
  for (const step of steps) {
    const got = computeLastChangeTriggerTime(state, step.svc ?? service, step.pods);
    state = got.state;
    assert.equal(got.time === undefined ? undefined : formatTriggerTime(got.time), step.want, step.name);
  }
});

test('trigger time is written as Go writes RFC3339Nano in UTC', () => {
  const cases: Array<[string, string]> = [
    ['2026-01-01T00:00:05Z', '2026-01-01T00:00:05Z'],
    ['2026-01-01T00:00:05.120Z', '2026-01-01T00:00:05.12Z'],
    ['2026-01-01T02:00:05.003+02:00', '2026-01-01T00:00:05.003Z'],
  ];
  for (const [input, want] of cases) assert.equal(formatTriggerTime(ms(input)), want, input);
});

/** n addresses named prefix-000… in IP order. */
function addrs(prefix: string, n: number, octet: number): core.EndpointAddress[] {
  return Array.from({ length: n }, (_, i) => ({ ip: `10.${octet}.${Math.floor(i / 250)}.${(i % 250) + 1}`, targetRef: { kind: 'Pod', name: `${prefix}-${i}`, uid: `${prefix}-${i}` } }));
}
const count = (ss: core.EndpointSubset[]) => ss.map((s) => [s.addresses?.length ?? 0, s.notReadyAddresses?.length ?? 0]);

test('capacity: over 1000 addresses are truncated as Kubernetes does, ready ones first', () => {
  const p1 = [{ port: 1, protocol: 'TCP' }];
  const p2 = [{ port: 2, protocol: 'TCP' }];
  const cases: Array<{ name: string; subsets: core.EndpointSubset[]; want: number[][]; truncated: boolean }> = [
    { name: 'exactly 1000: untouched', subsets: [{ addresses: addrs('r', 600, 1), notReadyAddresses: addrs('n', 400, 2), ports: p1 }], want: [[600, 400]], truncated: false },
    { name: 'ready fit: not-ready cut to the room left', subsets: [{ addresses: addrs('r', 900, 1), notReadyAddresses: addrs('n', 300, 2), ports: p1 }], want: [[900, 100]], truncated: true },
    { name: 'ready alone over: every not-ready address goes, ready cut to 1000', subsets: [{ addresses: addrs('r', 1200, 1), notReadyAddresses: addrs('n', 5, 2), ports: p1 }], want: [[1000, 0]], truncated: true },
    {
      name: 'not-ready room shared in proportion, rounded up, the last subset gets what is left',
      subsets: [
        { addresses: addrs('a', 400, 1), notReadyAddresses: addrs('an', 301, 2), ports: p1 },
        { addresses: addrs('b', 400, 3), notReadyAddresses: addrs('bn', 300, 4), ports: p2 },
      ],
      want: [[400, 101], [400, 99]],
      truncated: true,
    },
    {
      name: 'ready shared in proportion; a subset of only not-ready addresses is left empty and dropped',
      subsets: [
        { addresses: addrs('a', 900, 1), ports: p1 },
        { addresses: addrs('b', 300, 3), notReadyAddresses: addrs('bn', 3, 4), ports: p2 },
        { notReadyAddresses: addrs('cn', 10, 5), ports: [{ port: 3, protocol: 'TCP' }] },
      ],
      want: [[750, 0], [250, 0]],
      truncated: true,
    },
  ];
  for (const c of cases) {
    const got = truncateSubsets(c.subsets);
    assert.deepEqual(count(got.subsets), c.want, c.name);
    assert.equal(got.truncated, c.truncated, c.name);
  }
  // The addresses kept are each subset's first ones, in order.
  const cut = truncateSubsets([{ addresses: addrs('r', 1001, 1), ports: p1 }]).subsets[0]!;
  assert.deepEqual(cut.addresses, addrs('r', 1001, 1).slice(0, 1000));
});

test('plan: annotations set on a write, no write when nothing changed, over-capacity comes and goes', () => {
  const service = svc({ ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] });
  const t = ms('2026-01-01T00:00:09.5Z');
  const stored = (e: core.Endpoints): core.Endpoints => ({ ...e, metadata: { ...e.metadata, resourceVersion: '7' } });

  const created = planEndpoints(service, [pod('a', '10.0.0.9')], undefined, t)!;
  assert.deepEqual(created.metadata?.annotations, { [LAST_CHANGE_TRIGGER_TIME_ANNOTATION]: '2026-01-01T00:00:09.5Z' });
  assert.equal(planEndpoints(service, [pod('a', '10.0.0.9')], stored(created), undefined), undefined, 'unchanged: no write');
  assert.equal(planEndpoints(service, [pod('a', '10.0.0.9')], stored(created), t + 1000), undefined, 'a trigger alone does not write');

  // A write without a trigger time drops the old one, as Kubernetes does.
  const changed = planEndpoints(service, [pod('a', '10.0.0.9'), pod('b', '10.0.0.10')], stored(created), undefined)!;
  assert.equal(changed.metadata?.annotations, undefined);

  const many = Array.from({ length: 1001 }, (_, i) => pod(`p${i}`, `10.2.${Math.floor(i / 250)}.${(i % 250) + 1}`));
  const over = planEndpoints(service, many, stored(changed), t)!;
  assert.equal(over.metadata?.annotations?.[OVER_CAPACITY_ANNOTATION], 'truncated');
  assert.equal(over.subsets?.[0]?.addresses?.length, 1000);
  assert.equal(planEndpoints(service, many, stored(over), undefined), undefined, 'still over, already truncated: no write');

  const under = planEndpoints(service, many.slice(0, 999), stored(over), undefined)!;
  assert.equal(under.metadata?.annotations?.[OVER_CAPACITY_ANNOTATION], undefined);
  assert.equal(under.subsets?.[0]?.addresses?.length, 999);
  // At exactly 1000 with a stale over-capacity annotation, the annotation alone is a reason to write.
  const stale = { ...stored(under), metadata: { ...stored(under).metadata, annotations: { [OVER_CAPACITY_ANNOTATION]: 'truncated' } } };
  assert.equal(planEndpoints(service, many.slice(0, 999), stale, undefined)?.metadata?.annotations, undefined);
});
