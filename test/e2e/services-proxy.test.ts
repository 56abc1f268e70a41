// ClusterIP traffic on the real node: `kujira up --runtime containerd` runs the service proxy
// (kube-proxy's iptables mode) beside the node agent; a connection from the host to a Service's
// cluster IP reaches its containerd pods, spread at random, and nothing addressed to the service
// CIDR leaves the machine. The cluster uses its own random /24 of 10.96.0.0/12 as service CIDR.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { detectContainerdSupport } from '../../src/node/agent/detect.js';
import { DEMO_IMAGE } from '../../src/runtime/cri/images.js';
import { run } from '../../src/proxy/iptables.js';
import { eventually, httpGet, TestCluster } from '../support/cluster.js';

let cluster: TestCluster;
const serviceCIDR = `10.${96 + Math.floor(Math.random() * 16)}.${Math.floor(Math.random() * 256)}.0/24`;

before(async () => {
  const support = await detectContainerdSupport();
  if (!support.ok) throw new Error(`these tests need containerd: ${support.why}`);
  cluster = await TestCluster.start({ extraArgs: ['--controllers=*', '--runtime', 'containerd', '--service-cluster-ip-range', serviceCIDR], timeoutMs: 90_000 });
});

after(async () => {
  await cluster?.dispose();
});

/** Our chains and the jumps that match the service CIDR, as iptables-save prints them. */
async function ourRules(): Promise<string[]> {
  const out = (await run('iptables-save', [])).stdout;
  return out.split('\n').filter((l) => l.includes(serviceCIDR) || /\bKJ-[0-9a-f]{6}-/.test(l));
}

test('a cluster IP reaches the Service\'s pods on the real node, picked at random', async () => {
  await cluster.k(['create', 'deployment', 'demo', `--image=${DEMO_IMAGE}`, '--replicas=2', '--port=8080']);
  await cluster.k(['rollout', 'status', 'deploy/demo', '--timeout=90s'], );
  await cluster.k(['expose', 'deployment', 'demo', '--port', '80', '--target-port', '8080']);
  const ip = (await cluster.k(['get', 'svc', 'demo', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
  assert.ok(ip.startsWith(serviceCIDR.split('.').slice(0, 3).join('.') + '.'), ip);
  const pods = (await cluster.k(['get', 'pods', '-l', 'app=demo', '-o', 'jsonpath={.items[*].metadata.name}'])).split(' ').sort();

  const seen = new Set<string>();
  await eventually(async () => {
    const res = await httpGet(`http://${ip}:80/`, 2000);
    const host = /hostname: (\S+)/.exec(res.body)?.[1];
    if (host) seen.add(host);
    return seen.size === 2;
  }, 'both pods answer on the cluster IP', 60_000, 20);
  assert.deepEqual([...seen].sort(), pods);

  const rules = await ourRules();
  assert.ok(rules.some((l) => l.includes(`-d ${ip}/32 -p tcp`) && l.includes('--dport 80')), rules.join('\n'));
  assert.ok(rules.some((l) => l.includes('-m statistic --mode random --probability 0.5000000000')), rules.join('\n'));
  assert.ok(rules.some((l) => l.includes('-j DNAT --to-destination') && l.includes(':8080')), rules.join('\n'));
  // Every rule we add is confined to our chains or matches the service CIDR.
  for (const l of rules.filter((r) => r.startsWith('-A ') && !/^-A KJ-/.test(r))) assert.ok(l.includes(serviceCIDR), l);

  // Scaled to one pod: the rules follow and every request reaches it.
  await cluster.k(['scale', 'deployment', 'demo', '--replicas=1']);
  await eventually(async () => (await cluster.k(['get', 'pods', '-l', 'app=demo', '--no-headers'])).trim().split('\n').length === 1, 'one pod left', 60_000);
  const left = (await cluster.k(['get', 'pods', '-l', 'app=demo', '-o', 'jsonpath={.items[0].metadata.name}'])).trim();
  await eventually(async () => {
    for (let i = 0; i < 5; i++) if (!(await httpGet(`http://${ip}:80/`, 2000)).body.includes(`hostname: ${left}`)) return false;
    return true;
  }, 'only the remaining pod answers', 30_000);
});

test('a cluster IP without endpoints is refused on this machine; stopping removes every rule', async () => {
  await cluster.k(['delete', 'svc', 'demo']);
  const ip = `${serviceCIDR.split('.').slice(0, 3).join('.')}.200`;
  await eventually(async () => {
    try {
      await httpGet(`http://${ip}:80/`, 2000);
      return false;
    } catch (err) {
      return /ECONNREFUSED/.test((err as Error).message);
    }
  }, 'the connection is refused at once', 20_000);
  await cluster.stop();
  assert.deepEqual(await ourRules(), []);
});
