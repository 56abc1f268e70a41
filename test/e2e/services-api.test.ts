// Services through the API: defaults, Kubernetes' validation answers, cluster IP and node port
// allocation (unique under concurrent creates, given back on delete, kept across a restart), and
// the API server's own `kubernetes` Service.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../../src/api/log.js';
import { builtinResources } from '../../src/apiserver/registry/index.js';
import { ResourceIndex } from '../../src/apiserver/resources.js';
import { parseFlags } from '../../src/cmd/flags.js';
import { startCluster, upFlags } from '../../src/cmd/up.js';
import { InProcessCluster } from '../support/inproc.js';

const SVC = '/api/v1/namespaces/default/services';

function service(name: string, spec: Record<string, unknown>): object {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }], ...spec } };
}

describe('Services through the API', () => {
  let c: InProcessCluster;
  before(async () => {
    c = await InProcessCluster.start(['--service-cluster-ip-range', '10.96.0.0/24', '--service-node-port-range', '30000-30099']);
  });
  after(async () => {
    await c?.stop();
  });

  it('the API server publishes itself as default/kubernetes at the first address', async () => {
    const svc = (await c.req('GET', `${SVC}/kubernetes`)).json();
    assert.equal(svc.spec.clusterIP, '10.96.0.1');
    assert.deepEqual(svc.spec.ports, [{ name: 'https', port: 443, protocol: 'TCP', targetPort: Number(new URL(c.url).port) }]);
    assert.equal(svc.spec.selector, undefined);
    const ep = (await c.req('GET', '/api/v1/namespaces/default/endpoints/kubernetes')).json();
    assert.deepEqual(ep.subsets, [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'https', port: Number(new URL(c.url).port), protocol: 'TCP' }] }]);
    const slice = (await c.req('GET', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes')).json();
    assert.equal(slice.metadata.labels['kubernetes.io/service-name'], 'kubernetes');
  });

  it('fills in Kubernetes defaults and allocates a cluster IP from the range', async () => {
    const res = await c.req('POST', SVC, { body: service('web', {}) });
    assert.equal(res.status, 201, res.body);
    const svc = res.json();
    assert.match(svc.spec.clusterIP, /^10\.96\.0\.\d+$/);
    assert.deepEqual(svc.spec.clusterIPs, [svc.spec.clusterIP]);
    assert.equal(svc.spec.type, 'ClusterIP');
    assert.equal(svc.spec.sessionAffinity, 'None');
    assert.deepEqual(svc.spec.ports, [{ port: 80, protocol: 'TCP', targetPort: 8080 }]);
    assert.deepEqual(svc.spec.ipFamilies, ['IPv4']);
    assert.equal(svc.spec.ipFamilyPolicy, 'SingleStack');
    assert.equal(svc.spec.internalTrafficPolicy, 'Cluster');
    assert.equal(svc.spec.externalTrafficPolicy, undefined);
    assert.deepEqual(svc.status, { loadBalancer: {} });
    // targetPort defaults to port.
    const bare = (await c.req('POST', SVC, { body: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'bare' }, spec: { ports: [{ port: 9376 }] } } })).json();
    assert.equal(bare.spec.ports[0].targetPort, 9376);
  });

  it('answers bad input with 422 in Kubernetes form', async () => {
    const cases: Array<[string, object, RegExp]> = [
      ['port 0', service('bad-port', { ports: [{ port: 0 }] }), /^Service "bad-port" is invalid: \[spec\.ports\[0\]\.port: Invalid value: 0: must be between 1 and 65535, inclusive, spec\.ports\[0\]\.targetPort: Invalid value: 0: must be between 1 and 65535, inclusive\]$/],
      ['bad type', service('bad-type', { type: 'Magic' }), /spec\.type: Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"/],
      ['no ports', service('no-ports', { ports: [] }), /spec\.ports: Required value/],
      ['bad protocol', service('bad-proto', { ports: [{ port: 80, protocol: 'HTTP' }] }), /spec\.ports\[0\]\.protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"/],
      ['unnamed ports', service('two-ports', { ports: [{ port: 80 }, { port: 81 }] }), /spec\.ports\[0\]\.name: Required value/],
      ['duplicate names', service('dup-names', { ports: [{ name: 'a', port: 80 }, { name: 'a', port: 81 }] }), /spec\.ports\[1\]\.name: Duplicate value: "a"/],
      ['bad selector', service('bad-sel', { selector: { 'a b': 'x' } }), /spec\.selector: Invalid value: "a b"/],
      ['out of range', service('far-ip', { clusterIP: '10.0.0.5' }), /spec\.clusterIPs: Invalid value: \[\]string\{"10\.0\.0\.5"\}: failed to allocate IP 10\.0\.0\.5: the provided IP \(10\.0\.0\.5\) is not in the valid range\. The range of valid IPs is 10\.96\.0\.0\/24/],
      ['bad name', service('1web', {}), /metadata\.name: Invalid value: "1web": a DNS-1035 label/],
    ];
    for (const [name, body, message] of cases) {
      const res = await c.req('POST', SVC, { body });
      assert.equal(res.status, 422, `${name}: ${res.body}`);
      const status = res.json();
      assert.equal(status.reason, 'Invalid', name);
      assert.match(status.message, message, name);
      assert.ok(status.details.causes.length > 0, name);
    }
  });

  it('honours a requested free IP, refuses an allocated one, and frees it on delete', async () => {
    const first = await c.req('POST', SVC, { body: service('fixed', { clusterIP: '10.96.0.10' }) });
    assert.equal(first.status, 201, first.body);
    const dup = await c.req('POST', SVC, { body: service('fixed-2', { clusterIP: '10.96.0.10' }) });
    assert.equal(dup.status, 422);
    assert.equal(dup.json().message, 'Service "fixed-2" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.10"}: failed to allocate IP 10.96.0.10: provided IP is already allocated');
    assert.deepEqual(dup.json().details.causes, [{ reason: 'FieldValueInvalid', field: 'spec.clusterIPs', message: 'Invalid value: []string{"10.96.0.10"}: failed to allocate IP 10.96.0.10: provided IP is already allocated' }]);
    // A create that fails validation gives its reservation back at once.
    assert.equal((await c.req('POST', SVC, { body: service('fixed-3', { clusterIP: '10.96.0.11', ports: [{ port: 0 }] }) })).status, 422);
    assert.equal((await c.req('POST', SVC, { body: service('fixed-3', { clusterIP: '10.96.0.11' }) })).status, 201);
    assert.equal((await c.req('DELETE', `${SVC}/fixed`)).status, 200);
    assert.equal((await c.req('POST', SVC, { body: service('fixed-2', { clusterIP: '10.96.0.10' }) })).status, 201);
  });

  it('keeps the cluster IP immutable and keeps allocated values on a replace that omits them', async () => {
    const svc = (await c.req('GET', `${SVC}/fixed-2`)).json();
    const moved = await c.req('PATCH', `${SVC}/fixed-2`, { body: { spec: { clusterIP: '10.96.0.12', clusterIPs: ['10.96.0.12'] } }, headers: { 'Content-Type': 'application/merge-patch+json' } });
    assert.equal(moved.status, 422);
    assert.match(moved.json().message, /spec\.clusterIPs\[0\]: Invalid value: \[\]string\{"10\.96\.0\.12"\}: may not change once set/);
    // Only clusterIP in the patch: carried to clusterIPs[0] (Kubernetes' NormalizeClusterIPs), same answer.
    const movedOne = await c.req('PATCH', `${SVC}/fixed-2`, { body: { spec: { clusterIP: '10.96.0.13' } }, headers: { 'Content-Type': 'application/merge-patch+json' } });
    assert.equal(movedOne.status, 422);
    assert.match(movedOne.json().message, /spec\.clusterIPs\[0\]: Invalid value: \[\]string\{"10\.96\.0\.13"\}: may not change once set/);
    const replaced = await c.req('PUT', `${SVC}/fixed-2`, { body: { ...service('fixed-2', {}), metadata: { name: 'fixed-2', resourceVersion: svc.metadata.resourceVersion } } });
    assert.equal(replaced.status, 200, replaced.body);
    assert.equal(replaced.json().spec.clusterIP, '10.96.0.10');
  });

  it('headless Services get no cluster IP; NodePort Services get node ports from the range', async () => {
    const headless = (await c.req('POST', SVC, { body: service('headless', { clusterIP: 'None' }) })).json();
    assert.equal(headless.spec.clusterIP, 'None');
    assert.deepEqual(headless.spec.clusterIPs, ['None']);
    const np = await c.req('POST', SVC, { body: service('np', { type: 'NodePort' }) });
    assert.equal(np.status, 201, np.body);
    const nodePort = np.json().spec.ports[0].nodePort;
    assert.ok(nodePort >= 30000 && nodePort <= 30099, String(nodePort));
    assert.equal(np.json().spec.externalTrafficPolicy, 'Cluster');
    const taken = await c.req('POST', SVC, { body: service('np-2', { type: 'NodePort', ports: [{ port: 80, nodePort }] }) });
    assert.equal(taken.status, 422);
    assert.match(taken.json().message, new RegExp(`spec\\.ports\\[0\\]\\.nodePort: Invalid value: ${nodePort}: provided port is already allocated`));
    const outside = await c.req('POST', SVC, { body: service('np-3', { type: 'NodePort', ports: [{ port: 80, nodePort: 31000 }] }) });
    assert.match(outside.json().message, /provided port is not in the valid range\. The range of valid ports is 30000-30099/);
    // NodePort → ClusterIP drops the node port; it can then be taken by another Service.
    const back = await c.req('PATCH', `${SVC}/np`, { body: { spec: { type: 'ClusterIP' } }, headers: { 'Content-Type': 'application/merge-patch+json' } });
    assert.equal(back.status, 200, back.body);
    assert.equal(back.json().spec.ports[0].nodePort, undefined);
    assert.equal(back.json().spec.externalTrafficPolicy, undefined);
    assert.equal((await c.req('POST', SVC, { body: service('np-2', { type: 'NodePort', ports: [{ port: 80, nodePort }] }) })).status, 201);
    const forbidden = await c.req('POST', SVC, { body: service('np-4', { ports: [{ port: 80, nodePort: 30050 }] }) });
    assert.match(forbidden.json().message, /spec\.ports\[0\]\.nodePort: Forbidden: may not be used when `type` is 'ClusterIP'/);
  });

  it('never hands one address or port to two concurrent creates', async () => {
    const created = await Promise.all(Array.from({ length: 40 }, (_, i) => c.req('POST', SVC, { body: service(`burst-${i}`, { type: 'NodePort' }) })));
    assert.ok(created.every((r) => r.status === 201), created.map((r) => r.body).find((b) => !b.includes('"kind":"Service"')));
    const ips = created.map((r) => r.json().spec.clusterIP);
    const ports = created.map((r) => r.json().spec.ports[0].nodePort);
    assert.equal(new Set(ips).size, 40);
    assert.equal(new Set(ports).size, 40);
    // Racing for one requested address: exactly one wins.
    const race = await Promise.all(Array.from({ length: 10 }, (_, i) => c.req('POST', SVC, { body: service(`race-${i}`, { clusterIP: '10.96.0.15' }) })));
    assert.equal(race.filter((r) => r.status === 201).length, 1);
    assert.equal(race.filter((r) => r.status === 422).length, 9);
    // 40 node ports for the burst and np-2's: deleting the burst frees theirs.
    const list = (await c.req('GET', SVC)).json();
    const inUse = new Set<number>(list.items.flatMap((s: { spec: { ports?: { nodePort?: number }[] } }) => (s.spec.ports ?? []).map((p) => p.nodePort).filter(Boolean)));
    assert.equal(inUse.size, 41);
    await Promise.all(Array.from({ length: 40 }, (_, i) => c.req('DELETE', `${SVC}/burst-${i}`)));
    const again = await c.req('POST', SVC, { body: service('after-burst', { type: 'NodePort', ports: [{ port: 80, nodePort: ports[0] }] }) });
    assert.equal(again.status, 201, again.body);
  });
});

describe('Service allocations across a restart', () => {
  it('are read back from the stored Services', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'kujira-svc-'));
    const index = new ResourceIndex(builtinResources());
    const services = index.lookup('', 'v1', 'services')!;
    const flags = parseFlags(upFlags, ['--data-dir', dataDir, '--port', '0', '--service-cluster-ip-range', '10.96.0.0/28']).values;
    const write = { dryRun: false, fieldValidation: 'Strict' as const };
    const body = (name: string, ip?: string) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ port: 80 }], ...(ip ? { clusterIP: ip } : {}) } });
    try {
      let cluster = await startCluster(flags, silentLogger, { components: 'none' });
      const kept = (await cluster.api.service.create(services, 'default', body('kept', '10.96.0.5'), write)).obj;
      assert.equal((kept.spec as { clusterIP: string }).clusterIP, '10.96.0.5');
      await cluster.stop();

      cluster = await startCluster(flags, silentLogger, { components: 'none' });
      try {
        await assert.rejects(cluster.api.service.create(services, 'default', body('clash', '10.96.0.5'), write), /provided IP is already allocated/);
        // The /28 has 13 usable addresses after the kubernetes Service and `kept`: all distinct, then full.
        const ips = new Set<string>();
        for (let i = 0; i < 12; i++) ips.add(((await cluster.api.service.create(services, 'default', body(`fill-${i}`), write)).obj.spec as { clusterIP: string }).clusterIP);
        assert.equal(ips.size, 12);
        assert.ok(!ips.has('10.96.0.5') && !ips.has('10.96.0.1'));
        await assert.rejects(cluster.api.service.create(services, 'default', body('full'), write), /range is full/);
      } finally {
        await cluster.stop();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('The kubernetes Service', () => {
  it('comes back when deleted, with its cluster IP, Endpoints and EndpointSlice, while the controllers run', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'kujira-svc-'));
    const flags = parseFlags(upFlags, ['--data-dir', dataDir, '--port', '0', '--runtime', 'simulated', '--service-cluster-ip-range', '10.96.0.0/24']).values;
    const cluster = await startCluster(flags, silentLogger, { components: 'all', kubernetesServiceReconcileMs: 100 });
    const index = new ResourceIndex(builtinResources());
    const services = index.lookup('', 'v1', 'services')!;
    const endpoints = index.lookup('', 'v1', 'endpoints')!;
    const slices = index.lookup('discovery.k8s.io', 'v1', 'endpointslices')!;
    const port = Number(new URL(cluster.api.url).port);
    const get = (r: typeof services, name = 'kubernetes') => cluster.api.service.get(r, 'default', name).catch(() => undefined);
    try {
      const before = await get(services);
      await cluster.api.service.delete(services, 'default', 'kubernetes', { dryRun: false });
      const deadline = Date.now() + 10_000;
      let seen: { ip?: string; ep?: unknown; slice?: unknown } = {};
      while (Date.now() < deadline) {
        const [svc, ep, slice] = await Promise.all([get(services), get(endpoints), get(slices)]);
        seen = {
          ip: (svc?.spec as { clusterIP?: string } | undefined)?.clusterIP,
          ep: ep?.subsets,
          slice: (slice as { endpoints?: unknown } | undefined)?.endpoints,
        };
        if (svc && svc.metadata?.uid !== before?.metadata?.uid && seen.ep && seen.slice) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(seen.ip, '10.96.0.1');
      assert.deepEqual(seen.ep, [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'https', port, protocol: 'TCP' }] }]);
      assert.deepEqual(seen.slice, [{ addresses: ['127.0.0.1'], conditions: { ready: true } }]);
    } finally {
      await cluster.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
