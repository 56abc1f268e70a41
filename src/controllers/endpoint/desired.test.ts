import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { core } from '../../api/types.js';
import { desiredEndpoints } from './desired.js';

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
