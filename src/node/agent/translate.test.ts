import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { core } from '../../api/types.js';
import { containerEnv, containerFieldPath, containerResources, dnsSettings, etcHosts, expandVars, portMappings, resolvePort } from './translate.js';

const pod = (containers: core.Container[], extra: Partial<core.PodSpec> = {}): core.Pod => ({
  metadata: { name: 'web-1', namespace: 'shop', uid: 'u-1', labels: { app: 'web' } },
  spec: { nodeName: 'node-a', containers, ...extra },
});

test('resources become cpu shares, CFS quota and a memory limit', () => {
  const r = containerResources({ name: 'a', resources: { requests: { cpu: '250m' }, limits: { cpu: '500m', memory: '64Mi' } } }, 'Burstable', 2 ** 30);
  assert.equal(r.cpuShares, 256);
  assert.equal(r.cpuQuota, 50_000);
  assert.equal(r.cpuPeriod, 100_000);
  assert.equal(r.memoryLimitBytes, 67108864);
  assert.equal(containerResources({ name: 'b' }, 'BestEffort', 2 ** 30).cpuShares, 2);
  assert.equal(containerResources({ name: 'b' }, 'BestEffort', 2 ** 30).oomScoreAdj, 1000);
  assert.equal(containerResources({ name: 'c', resources: { limits: { cpu: '1', memory: '1Gi' } } }, 'Guaranteed', 2 ** 31).oomScoreAdj, -997);
});

test('env: values, $(VAR) expansion, fieldRef and resourceFieldRef', () => {
  const c: core.Container = {
    name: 'a',
    resources: { limits: { memory: '64Mi' } },
    env: [
      { name: 'GREETING', value: 'hello' },
      { name: 'MSG', value: '$(GREETING) world $(NOPE) $$(GREETING)' },
      { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
      { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
      { name: 'FROM_CM', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'k' } } },
    ],
  };
  const env = containerEnv(c, { pod: pod([c]), podIPs: ['10.1.2.3'], hostIP: '127.0.0.1', nodeName: 'node-a' },
    { configMap: (n) => (n === 'cfg' ? { k: 'v' } : undefined), secret: () => undefined }, { cpuCores: 2, memoryBytes: 2 ** 30 });
  assert.deepEqual(Object.fromEntries(env.map((e) => [e.name, e.value])), {
    GREETING: 'hello', MSG: 'hello world $(NOPE) $(GREETING)', POD: 'web-1', NS: 'shop', IP: '10.1.2.3', NODE: 'node-a', APP: 'web', MEM: '64', FROM_CM: 'v',
  });
  assert.equal(expandVars('$(A)$(B)', new Map([['A', '1']])), '1$(B)');
  assert.throws(() => containerEnv({ name: 'x', env: [{ name: 'S', valueFrom: { secretKeyRef: { name: 'nope', key: 'k' } } }] },
    { pod: pod([]), podIPs: [], hostIP: '', nodeName: '' }, { configMap: () => undefined, secret: () => undefined }, { cpuCores: 1, memoryBytes: 1 }), /secret "nope" not found/);
});

test('hostPort, named ports, /etc/hosts and DNS', () => {
  const p = pod([{ name: 'a', ports: [{ name: 'http', containerPort: 8080, hostPort: 18080 }, { containerPort: 9090 }] }], { hostAliases: [{ ip: '10.9.9.9', hostnames: ['db'] }] });
  assert.deepEqual(portMappings(p), [{ protocol: 'TCP', containerPort: 8080, hostPort: 18080, hostIP: undefined }]);
  assert.equal(resolvePort('http', p.spec!.containers[0]!), 8080);
  assert.equal(resolvePort('9090', p.spec!.containers[0]!), 9090);
  const hosts = etcHosts(p, ['10.1.2.3'], 'web-1');
  assert.match(hosts, /^10\.1\.2\.3\tweb-1$/m);
  assert.match(hosts, /^10\.9\.9\.9\tdb$/m);
  assert.deepEqual(dnsSettings(p, ['10.96.0.10']), { servers: ['10.96.0.10'], searches: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local'], options: ['ndots:5'] });
  assert.equal(dnsSettings(pod([], { dnsPolicy: 'Default' }), []), null);
});

test('container events point at their container as the kubelet does', () => {
  const pod: core.Pod = { spec: { initContainers: [{ name: 'setup', image: 'i' }], containers: [{ name: 'web', image: 'i' }] } };
  assert.equal(containerFieldPath(pod, 'web'), 'spec.containers{web}');
  assert.equal(containerFieldPath(pod, 'setup'), 'spec.initContainers{setup}');
  assert.equal(containerFieldPath(pod, 'gone'), undefined);
});
