// Service traffic on the real node: `kujira up --runtime containerd` runs the service proxy
// (kube-proxy's iptables mode) beside the node agent. A connection to a Service's cluster IP, from the
// host or from inside a pod (to another pod, or back to itself), reaches its containerd pods, spread at
// random; a NodePort Service answers on 127.0.0.1; `kubectl port-forward svc/...` reaches its pod;
// `kujira agent` joining the cluster runs a proxy of its own; nothing addressed to the service CIDR
// leaves the machine, and every rule and chain is gone once the nodes stop. The cluster uses its own
// random /24 of 10.96.0.0/12 as service CIDR.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { detectContainerdSupport } from '../../src/node/agent/detect.js';
import { DEMO_IMAGE } from '../../src/runtime/cri/images.js';
import { run } from '../../src/proxy/iptables.js';
import { chainPrefix } from '../../src/proxy/rules.js';
import { childNodeArgs, eventually, httpGet, kujiraBin, TestCluster } from '../support/cluster.js';

let cluster: TestCluster;
let prefix: string;
let bridge: string;
const serviceCIDR = `10.${96 + Math.floor(Math.random() * 16)}.${Math.floor(Math.random() * 256)}.0/24`;
const net24 = serviceCIDR.split('.').slice(0, 3).join('.');
const agentDir = { path: '' };
let agentProc: ChildProcess | undefined;

before(async () => {
  const support = await detectContainerdSupport();
  if (!support.ok) throw new Error(`these tests need containerd: ${support.why}`);
  cluster = await TestCluster.start({ extraArgs: ['--controllers=*', '--runtime', 'containerd', '--service-cluster-ip-range', serviceCIDR], timeoutMs: 90_000 });
  prefix = chainPrefix(join(cluster.dataDir, 'node'));
  bridge = (JSON.parse(await readFile(join(cluster.dataDir, 'node', 'containerd', 'network.json'), 'utf8')) as { bridge: string }).bridge;
});

after(async () => {
  if (agentProc && agentProc.exitCode === null && agentProc.signalCode === null) {
    const exited = new Promise((resolve) => agentProc!.once('exit', resolve));
    agentProc.kill('SIGTERM');
    await exited;
  }
  await cluster?.dispose();
  if (agentDir.path) await rm(agentDir.path, { recursive: true, force: true });
});

/** The rules of the nodes this file starts, as iptables-save prints them. */
async function ourRules(prefixes: string[]): Promise<string[]> {
  const out = (await run('iptables-save', [])).stdout;
  return out.split('\n').filter((l) => l.includes(serviceCIDR) || prefixes.some((p) => l.includes(p)));
}

const routeLocalnet = (iface: string) => readFile(`/proc/sys/net/ipv4/conf/${iface}/route_localnet`, 'utf8').then((s) => s.trim(), () => 'absent');
const clusterIP = async (svc: string) => (await cluster.k(['get', 'svc', svc, '-o', 'jsonpath={.spec.clusterIP}'])).trim();
const podsOf = async (app: string) => (await cluster.k(['get', 'pods', '-l', `app=${app}`, '-o', 'jsonpath={.items[*].metadata.name}'])).split(' ').filter(Boolean).sort();
/** An HTTP GET from inside a pod (busybox nc: Debian's static busybox wget crashes); the hostname the demo server answered with, or the error. */
async function getIn(pod: string, ip: string, port: number): Promise<string> {
  const r = await cluster.kubectl(['exec', pod, '--', 'sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${ip} ${port}`]);
  return r.code === 0 ? (/hostname: (\S+)/.exec(r.stdout)?.[1] ?? r.stdout) : `error: ${r.stderr.trim()} ${r.stdout.trim()}`;
}

test('a cluster IP reaches the Service\'s pods on the real node, picked at random', async () => {
  await cluster.k(['create', 'deployment', 'demo', `--image=${DEMO_IMAGE}`, '--replicas=2', '--port=8080']);
  await cluster.k(['rollout', 'status', 'deploy/demo', '--timeout=90s']);
  await cluster.k(['expose', 'deployment', 'demo', '--port', '80', '--target-port', '8080']);
  const ip = await clusterIP('demo');
  assert.ok(ip.startsWith(`${net24}.`), ip);
  const pods = await podsOf('demo');

  const seen = new Set<string>();
  await eventually(async () => {
    const res = await httpGet(`http://${ip}:80/`, 2000);
    const host = /hostname: (\S+)/.exec(res.body)?.[1];
    if (host) seen.add(host);
    return seen.size === 2;
  }, 'both pods answer on the cluster IP', 60_000, 20);
  assert.deepEqual([...seen].sort(), pods);

  const rules = await ourRules([prefix]);
  assert.ok(rules.some((l) => l.includes(`-d ${ip}/32 -p tcp`) && l.includes('--dport 80')), rules.join('\n'));
  assert.ok(rules.some((l) => l.includes('-m statistic --mode random --probability 0.5000000000')), rules.join('\n'));
  assert.ok(rules.some((l) => l.includes('-j DNAT --to-destination') && l.includes(':8080')), rules.join('\n'));
  // Every rule added to a built-in chain matches the service CIDR, 127.0.0.1 (node ports) or our bridge.
  for (const l of rules.filter((r) => r.startsWith('-A ') && !r.startsWith(`-A ${prefix}`))) {
    assert.ok(l.includes(serviceCIDR) || l.includes('-d 127.0.0.1/32') || l.includes('--ctorigdst 127.0.0.1 ') || l.includes(`-i ${bridge} `), l);
  }

  // From inside pods: another pod reaches them through the cluster IP, and a pod reaches itself (hairpin).
  await cluster.k(['run', 'client', `--image=${DEMO_IMAGE}`]);
  await cluster.k(['wait', '--for=condition=Ready', 'pod/client', '--timeout=60s']);
  const fromClient = new Set<string>();
  await eventually(async () => {
    const host = await getIn('client', ip, 80);
    if (pods.includes(host)) fromClient.add(host);
    else throw new Error(host);
    return fromClient.size === 2;
  }, 'both pods answer a pod on the cluster IP', 30_000, 20);
  const [self] = pods;
  const fromSelf = new Set<string>();
  await eventually(async () => {
    const host = await getIn(self!, ip, 80);
    if (pods.includes(host)) fromSelf.add(host);
    else throw new Error(host);
    return fromSelf.has(self!);
  }, 'a pod reaches itself through its Service', 30_000, 20);

  // Scaled to one pod: the rules follow and every request reaches it.
  await cluster.k(['scale', 'deployment', 'demo', '--replicas=1']);
  await eventually(async () => (await cluster.k(['get', 'pods', '-l', 'app=demo', '--no-headers'])).trim().split('\n').length === 1, 'one pod left', 60_000);
  const left = (await cluster.k(['get', 'pods', '-l', 'app=demo', '-o', 'jsonpath={.items[0].metadata.name}'])).trim();
  await eventually(async () => {
    for (let i = 0; i < 5; i++) if (!(await httpGet(`http://${ip}:80/`, 2000)).body.includes(`hostname: ${left}`)) return false;
    return true;
  }, 'only the remaining pod answers', 30_000);
});

test('a pod has routes to its bridge and the service CIDR, and no default route', async () => {
  const routes = await cluster.kubectl(['exec', 'client', '--', 'ip', 'route']);
  assert.equal(routes.code, 0, routes.stderr);
  assert.ok(!/^default/m.test(routes.stdout), routes.stdout);
  assert.match(routes.stdout, new RegExp(`^${serviceCIDR.replace(/\./g, '\\.')} via `, 'm'));
});

test('a NodePort Service answers on 127.0.0.1:<nodePort>', async () => {
  await cluster.k(['patch', 'svc', 'demo', '-p', '{"spec":{"type":"NodePort"}}']);
  const nodePort = Number((await cluster.k(['get', 'svc', 'demo', '-o', 'jsonpath={.spec.ports[0].nodePort}'])).trim());
  assert.ok(nodePort >= 30000 && nodePort <= 32767, String(nodePort));
  const [pod] = await podsOf('demo');
  await eventually(async () => {
    try {
      return (await httpGet(`http://127.0.0.1:${nodePort}/`, 2000)).body.includes(`hostname: ${pod}`);
    } catch {
      return false;
    }
  }, 'the node port answers', 30_000, 20);
  assert.equal(await routeLocalnet(bridge), '1');
  const rules = await ourRules([prefix]);
  assert.ok(rules.some((l) => l.startsWith(`-A ${prefix}NODEPORTS`) && l.includes(`--dport ${nodePort}`)), rules.join('\n'));
  // Back to ClusterIP: the port is closed again.
  await cluster.k(['patch', 'svc', 'demo', '--type=json', '-p', '[{"op":"replace","path":"/spec/type","value":"ClusterIP"},{"op":"remove","path":"/spec/ports/0/nodePort"}]']);
  await eventually(async () => {
    try {
      await httpGet(`http://127.0.0.1:${nodePort}/`, 2000);
      return false;
    } catch (err) {
      return /ECONNREFUSED/.test((err as Error).message);
    }
  }, 'the node port is closed', 20_000, 20);
});

test('kubectl port-forward svc/demo reaches the Service\'s pod', async () => {
  const [pod] = await podsOf('demo');
  const child = spawn('kubectl', ['port-forward', 'svc/demo', ':80', '--address', '127.0.0.1'], { env: { ...process.env, KUBECONFIG: cluster.kubeconfig }, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    const port = await eventually(async () => Number(/Forwarding from 127\.0\.0\.1:(\d+) -> 8080/.exec(out)?.[1]) || false, 'kubectl forwards', 20_000, 20);
    const res = await httpGet(`http://127.0.0.1:${port}/`, 5000);
    assert.match(res.body, new RegExp(`hostname: ${pod}`));
  } finally {
    child.kill('SIGTERM');
  }
});

test('kujira agent runs the service proxy for its node; its rules go when it stops', async () => {
  agentDir.path = await mkdtemp(join(tmpdir(), 'kujira-agent-'));
  const token = (await readFile(join(cluster.dataDir, 'pki', 'tokens.csv'), 'utf8')).split('\n').find((l) => l.split(',')[1] === 'kujira-admin')!.split(',')[0]!;
  const node = `svc-agent-${Math.floor(Math.random() * 1e6)}`;
  const agentPrefix = chainPrefix(agentDir.path);
  agentProc = spawn(process.execPath, [...childNodeArgs(), kujiraBin, 'agent', '--server', cluster.url, '--token', token, '--ca-file', join(cluster.dataDir, 'pki', 'ca.crt'),
    '--name', node, '--data-dir', agentDir.path, '--service-cluster-ip-range', serviceCIDR], { stdio: ['ignore', 'pipe', 'pipe'] });
  let logs = '';
  agentProc.stdout!.on('data', (c: Buffer) => (logs += c.toString()));
  agentProc.stderr!.on('data', (c: Buffer) => (logs += c.toString()));
  await eventually(async () => logs.includes(`node ${node} joined`), `the agent joins\n${logs}`, 60_000, 50);

  await cluster.k(['run', 'edge', `--image=${DEMO_IMAGE}`, '--labels=app=edge', `--overrides={"apiVersion":"v1","spec":{"nodeName":"${node}"}}`]);
  await cluster.k(['wait', '--for=condition=Ready', 'pod/edge', '--timeout=60s']);
  await cluster.k(['expose', 'pod', 'edge', '--port', '80', '--target-port', '8080']);
  const ip = await clusterIP('edge');
  await eventually(async () => (await ourRules([agentPrefix])).some((l) => l.startsWith(`-A ${agentPrefix}E-`) && l.includes('-j DNAT')), `the agent's proxy programs the Service\n${logs}`, 30_000, 50);
  // From the agent's own pod, through its route to the service CIDR, back to itself.
  await eventually(async () => {
    const host = await getIn('edge', ip, 80);
    if (host !== 'edge') throw new Error(`${host}; routes: ${(await cluster.kubectl(['exec', 'edge', '--', 'ip', 'route'])).stdout}; wget self: ${await getIn('edge', '127.0.0.1', 8080)}`);
    return true;
  }, 'the agent\'s pod reaches its Service', 30_000, 50);

  const exited = new Promise<number | null>((resolve) => agentProc!.once('exit', (code) => resolve(code)));
  agentProc.kill('SIGTERM');
  assert.equal(await exited, 0, logs);
  assert.deepEqual((await ourRules([agentPrefix])).filter((l) => l.includes(agentPrefix)), []);
  await cluster.k(['delete', 'svc', 'edge']);
  await cluster.k(['delete', 'pod', 'edge', '--force', '--grace-period=0']);
});

test('a cluster IP without endpoints is refused on this machine; stopping removes every rule', async () => {
  await cluster.k(['delete', 'svc', 'demo']);
  const ip = `${net24}.200`;
  await eventually(async () => {
    try {
      await httpGet(`http://${ip}:80/`, 2000);
      return false;
    } catch (err) {
      return /ECONNREFUSED/.test((err as Error).message);
    }
  }, 'the connection is refused at once', 20_000);
  await cluster.stop();
  assert.deepEqual(await ourRules([prefix, chainPrefix(agentDir.path || '-')]), []);
  assert.equal(await routeLocalnet(bridge), 'absent');
});
