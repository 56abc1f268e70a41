import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { builtinResources } from '../registry/index.js';
import { createSchemaCatalog, strictDecodingMessage, typeErrorMessage } from './index.js';

const catalog = createSchemaCatalog(builtinResources());

// The seed's manifests, misspelt as they are.
const seedPod = `
apiVersion: v1
kind: Pod
metadata:
  name: kuard
spec:
  containres:
    - image: gcr.io/kuar-demo/kuard-amd64:1
      name: kuard
      ports:
        - containerPort: 8080
          name: http
          protocol: TCP
`;
const seedProbe = `
apiVersion: v1
kind: Pod
metadata:
  name: kuard
spec:
  containers:
    - image: gcr.io/kuar-demo/kurad-amd64:1
      name: kuard
      livenessProbe:
        httpGet:
          path: /healthy
          port: 8080
        initialDelaySeconds: 1
        periodSeconds: 10
        failuerThreshold: 3
      ports:
        - containerPort: 8080
          name: http
          protocol: TCP
`;

test('unknown fields are named as Kubernetes names them', () => {
  const cases: [string, string[]][] = [
    [seedPod, ['spec.containres']],
    [seedProbe, ['spec.containers[0].livenessProbe.failuerThreshold']],
  ];
  for (const [doc, want] of cases) {
    const r = catalog.checkObject('v1', 'Pod', parse(doc));
    assert.deepEqual(r.unknownFields, want);
    assert.deepEqual(r.typeErrors, []);
  }
  assert.equal(strictDecodingMessage(['spec.containres']), 'strict decoding error: unknown field "spec.containres"');
});

test('metadata, maps, int-or-string, quantities and preserved fields are understood', () => {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'a', labels: { app: 'x' }, annotations: { 'a/b': 'c' }, managedFields: [{ manager: 'kubectl', fieldsV1: { 'f:spec': {} } }] },
    spec: {
      containers: [
        {
          name: 'a',
          image: 'x',
          livenessProbe: { httpGet: { port: 'http' } },
          readinessProbe: { tcpSocket: { port: 8080 } },
          resources: { limits: { cpu: 1, memory: '1Gi' } },
        },
      ],
    },
    status: { phase: 'Pending', observedGeneration: 1 },
  };
  assert.deepEqual(catalog.checkObject('v1', 'Pod', pod), { unknownFields: [], typeErrors: [] });
  const dep = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd' },
    spec: { replicas: 2, selector: { matchLabels: { a: 'b' } }, strategy: { rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [] } } },
    bogus: 1,
  };
  assert.deepEqual(catalog.checkObject('apps/v1', 'Deployment', dep).unknownFields, ['bogus']);
});

test('wrong JSON types are reported with Go wording', () => {
  const dep = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { replicas: 'three', template: { spec: { containers: 'x' } } } };
  const r = catalog.checkObject('apps/v1', 'Deployment', dep);
  assert.deepEqual(
    r.typeErrors.map((e) => [e.field, e.message]),
    [
      ['spec.replicas', 'json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32'],
      ['spec.template.spec.containers', 'json: cannot unmarshal string into Go struct field PodSpec.spec.template.spec.containers of type []v1.Container'],
    ],
  );
  assert.equal(
    typeErrorMessage('Deployment', 'v1', r.typeErrors[0]!),
    'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32',
  );
  const pod = { apiVersion: 'v1', kind: 'Pod', spec: { containers: [{ name: 'a', resources: { limits: { cpu: 'lots' } }, ports: [{ containerPort: 1.5 }] }] } };
  assert.deepEqual(
    catalog.checkObject('v1', 'Pod', pod).typeErrors.map((e) => e.message),
    [
      "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
      'json: cannot unmarshal number 1.5 into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32',
    ],
  );
});

test('OpenAPI v3 root and documents', () => {
  const root = catalog.openapiV3Root();
  assert.deepEqual(Object.keys(root.paths).sort(), [
    'api/v1',
    'apis/apps/v1',
    'apis/autoscaling/v1',
    'apis/autoscaling/v2',
    'apis/coordination.k8s.io/v1',
    'apis/discovery.k8s.io/v1',
    'apis/events.k8s.io/v1',
  ]);
  assert.match(root.paths['api/v1']!.serverRelativeURL, /^\/openapi\/v3\/api\/v1\?hash=[0-9A-F]{128}$/);
  assert.equal(catalog.openapiV3('apis/nope/v1'), undefined);
  const doc = catalog.openapiV3('api/v1') as any;
  assert.equal(doc.openapi, '3.0.0');
  const pod = doc.components.schemas['io.k8s.api.core.v1.Pod'];
  assert.deepEqual(pod['x-kubernetes-group-version-kind'], [{ group: '', kind: 'Pod', version: 'v1' }]);
  const containers = doc.components.schemas['io.k8s.api.core.v1.PodSpec'].properties.containers;
  assert.equal(containers['x-kubernetes-patch-merge-key'], 'name');
  assert.equal(containers['x-kubernetes-patch-strategy'], 'merge');
  assert.match(containers.description, /List of containers belonging to the pod/);
  // Every PATCH for Pod declares fieldValidation, so kubectl trusts server-side validation.
  const patches = Object.values(doc.paths as Record<string, any>).map((p) => p.patch).filter((p) => p && p['x-kubernetes-group-version-kind'].kind === 'Pod');
  assert.ok(patches.length >= 2);
  for (const p of patches) assert.ok(p.parameters.some((x: any) => x.name === 'fieldValidation' && x.in === 'query'));
  // Every referenced schema is present.
  const text = JSON.stringify(doc);
  for (const m of text.matchAll(/"#\/components\/schemas\/([^"]+)"/g)) assert.ok(doc.components.schemas[m[1]!], m[1]);
  const apps = catalog.openapiV3('apis/apps/v1') as any;
  assert.ok(apps.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'].patch);
  assert.ok(apps.components.schemas['io.k8s.api.autoscaling.v1.Scale']);
});

test('OpenAPI v2 has definitions with patch metadata and no v3 references', () => {
  const v2 = catalog.openapiV2() as any;
  assert.equal(v2.swagger, '2.0');
  const spec = v2.definitions['io.k8s.api.core.v1.PodSpec'];
  assert.equal(spec.properties.containers.items.$ref, '#/definitions/io.k8s.api.core.v1.Container');
  assert.equal(spec.properties.containers['x-kubernetes-patch-merge-key'], 'name');
  assert.ok(!JSON.stringify(v2).includes('#/components/'));
});
