// The node agent against a real containerd and the real kubectl: `kujira up` (simulated runtime, so it runs no
// agent of its own) in this process, then our agent joined to it. Needs root and the Debian packages
// (containerd runc containernetworking-plugins busybox-static iptables); fails, never skips, without them.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { core } from '../../src/api/types.js';
import { silentLogger } from '../../src/api/log.js';
import { KubeClient } from '../../src/client/client.js';
import { PODS } from '../../src/client/resources.js';
import { startCluster, type Cluster } from '../../src/cmd/up.js';
import { detectContainerdSupport, DEMO_IMAGE, startNodeAgent, type NodeAgent } from '../../src/node/agent/index.js';
import { ensureBuiltinImages } from '../../src/runtime/cri/images.js';

const run = promisify(execFile);
const NODE = 'agent-e2e';
/** KUJIRA_E2E_AGENT_LOG=1 prints the agent's own log lines. */
const agentLog = process.env.KUJIRA_E2E_AGENT_LOG ? (line: string) => console.error(`[agent] ${line}`) : () => {};
let dir = '';
let cluster: Cluster | undefined;
let agent: NodeAgent | undefined;
let client: KubeClient;
let kubeconfig = '';

async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await run('kubectl', args, { env: { ...process.env, KUBECONFIG: kubeconfig }, timeout: 60_000 });
  return stdout;
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await sleep(150);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

const getPod = (name: string) => client.resource(PODS).get('default', name);

async function apply(pod: core.Pod): Promise<void> {
  const file = join(dir, `${pod.metadata?.name}.json`);
  await writeFile(file, JSON.stringify({ apiVersion: 'v1', kind: 'Pod', ...pod, spec: { nodeName: NODE, ...pod.spec } }));
  // --validate=false: the API server does not serve the OpenAPI document kubectl validates against yet.
  await kubectl('apply', '--validate=false', '-f', file);
}

before(async () => {
  const support = await detectContainerdSupport();
  if (!support.ok) throw new Error(`the node agent e2e tests need containerd: ${support.why}`);
  dir = await mkdtemp(join(tmpdir(), 'kujira-agent-e2e-'));
  cluster = await startCluster({ 'data-dir': join(dir, 'cluster'), address: '127.0.0.1', port: 0, runtime: 'simulated', 'simulated-nodes': 0 }, silentLogger);
  kubeconfig = cluster.context.kubeconfigPath;
  const api = cluster.context.api;
  client = new KubeClient({ server: api.server, ca: api.caPem, token: api.token });
  agent = await startNodeAgent({
    client, dataDir: join(dir, 'node'), nodeName: NODE,
    options: { clientCA: api.caPem, backoff: { baseMs: 1000, maxMs: 4000 }, imageBackoff: { baseMs: 1000, maxMs: 2000 }, relistIntervalMs: 300, log: agentLog },
  });
  await ensureBuiltinImages(agent.containerd.socket, agent.containerd.client, null, [DEMO_IMAGE]);
});

after(async () => {
  await agent?.stop().catch((err: Error) => console.error('agent stop:', err.message));
  await cluster?.stop().catch(() => {});
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('the node registers with capacity, addresses, node info and a kubelet endpoint', async () => {
  const node = await client.resource({ group: '', version: 'v1', resource: 'nodes', kind: 'Node', namespaced: false } as const).get(undefined, NODE) as core.Node;
  assert.equal(node.status?.capacity?.pods, '110');
  assert.equal(node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address, '127.0.0.1');
  assert.match(node.status?.nodeInfo?.containerRuntimeVersion ?? '', /^containerd:\/\//);
  assert.equal(node.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
  assert.ok((node.status?.daemonEndpoints?.kubeletEndpoint?.Port ?? 0) > 0);
  const out = await kubectl('get', 'nodes');
  assert.match(out, new RegExp(`${NODE}\\s+Ready`));
});

test('two containers share localhost and one emptyDir mounted at different paths; logs through kubectl', async () => {
  await apply({
    metadata: { name: 'pair' },
    spec: {
      volumes: [{ name: 'shared', emptyDir: {} }],
      containers: [
        { name: 'web', image: DEMO_IMAGE, imagePullPolicy: 'Never', volumeMounts: [{ name: 'shared', mountPath: '/www/shared' }] },
        { name: 'side', image: DEMO_IMAGE, imagePullPolicy: 'Never', command: ['sh', '-c', 'echo shared-ok > /data/msg; until wget -qO- http://127.0.0.1:8080/shared/msg; do sleep 0.2; done; echo "I am $POD_NAME in $POD_NS"; exec sleep 3600'],
          env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }, { name: 'POD_NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } }],
          volumeMounts: [{ name: 'shared', mountPath: '/data' }] },
      ],
    },
  });
  const pod = await until('pair Ready', async () => { const p = await getPod('pair'); return p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' && p; });
  assert.equal(pod.status?.phase, 'Running');
  assert.match(pod.status?.podIP ?? '', /^10\./);
  assert.equal(pod.status?.qosClass, 'BestEffort');
  const logs = await until('side logs', async () => { const l = await kubectl('logs', 'pair', '-c', 'side'); return l.includes('I am') && l; });
  assert.match(logs, /shared-ok/);
  assert.match(logs, /I am pair in default/);
  const webLogs = await kubectl('logs', 'pair', '-c', 'web', '--tail=1', '--timestamps');
  assert.match(webLogs, /^\d{4}-\d\d-\d\dT\S+Z /);
});

test('a liveness failure restarts the container and logs --previous shows the old one', async () => {
  await apply({
    metadata: { name: 'liveness' },
    spec: {
      containers: [{
        name: 'app', image: DEMO_IMAGE, imagePullPolicy: 'Never',
        command: ['sh', '-c', 'echo "started at $(date +%s%N)"; httpd -p 8080 -h /www; sleep 1; rm /www/healthy; exec sleep 3600'],
        livenessProbe: { httpGet: { path: '/healthy', port: 8080 }, periodSeconds: 1, failureThreshold: 1 },
      }],
    },
  });
  const pod = await until('a restart', async () => { const p = await getPod('liveness'); return (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 && p; }, 45_000);
  assert.equal(pod.status?.containerStatuses?.[0]?.lastState?.terminated?.exitCode, 137);
  const previous = await kubectl('logs', 'liveness', '--previous');
  assert.match(previous, /^started at \d+/);
  const events = await kubectl('get', 'events', '--field-selector', 'involvedObject.name=liveness', '-o', 'json');
  const reasons = (JSON.parse(events) as { items: core.Event[] }).items.map((e) => `${e.reason}: ${e.message}`);
  assert.ok(reasons.some((r) => r.startsWith('Unhealthy: Liveness probe failed: HTTP probe failed with statuscode: 404')), reasons.join('\n'));
  assert.ok(reasons.some((r) => r === 'Killing: Container app failed liveness probe, will be restarted'), reasons.join('\n'));
});

test('an exec readiness probe gates Ready', async () => {
  await apply({
    metadata: { name: 'ready' },
    spec: { containers: [{
      name: 'app', image: DEMO_IMAGE, imagePullPolicy: 'Never', command: ['sh', '-c', 'sleep 2; touch /tmp/ready; exec sleep 3600'],
      readinessProbe: { exec: { command: ['cat', '/tmp/ready'] }, periodSeconds: 1 },
    }] },
  });
  const running = await until('running', async () => { const p = await getPod('ready'); return p.status?.containerStatuses?.[0]?.state?.running && p; });
  const readyNow = running.status?.conditions?.find((c) => c.type === 'Ready');
  assert.equal(readyNow?.status, 'False');
  assert.equal(readyNow?.message, 'containers with unready status: [app]');
  await until('Ready', async () => (await getPod('ready')).status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True');
});

test('a container over its memory limit is OOMKilled with exit code 137', async () => {
  await apply({
    metadata: { name: 'oom' },
    spec: { restartPolicy: 'Never', containers: [{
      name: 'hog', image: DEMO_IMAGE, imagePullPolicy: 'Never', command: ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=64M', 'count=1'],
      resources: { limits: { memory: '32Mi' } },
    }] },
  });
  const pod = await until('terminated', async () => { const p = await getPod('oom'); return p.status?.containerStatuses?.[0]?.state?.terminated && p; });
  const t = pod.status!.containerStatuses![0]!.state!.terminated!;
  assert.equal(t.reason, 'OOMKilled');
  assert.equal(t.exitCode, 137);
  assert.equal(pod.status?.phase, 'Failed');
  assert.equal(pod.status?.qosClass, 'Burstable');
});

test('hostPath with type checks; a missing Directory shows FailedMount', async () => {
  const hostDir = join(dir, 'host-data');
  await mkdir(hostDir);
  await writeFile(join(hostDir, 'greeting'), 'hello from the host\n');
  await apply({
    metadata: { name: 'hostpath' },
    spec: { restartPolicy: 'Never', volumes: [{ name: 'h', hostPath: { path: hostDir, type: 'Directory' } }],
      containers: [{ name: 'c', image: DEMO_IMAGE, imagePullPolicy: 'Never', command: ['cat', '/h/greeting'], volumeMounts: [{ name: 'h', mountPath: '/h', readOnly: true }] }] },
  });
  await until('Succeeded', async () => (await getPod('hostpath')).status?.phase === 'Succeeded');
  assert.equal(await kubectl('logs', 'hostpath'), 'hello from the host\n');
  await apply({
    metadata: { name: 'hostpath-missing' },
    spec: { volumes: [{ name: 'h', hostPath: { path: join(dir, 'nope'), type: 'Directory' } }],
      containers: [{ name: 'c', image: DEMO_IMAGE, imagePullPolicy: 'Never', volumeMounts: [{ name: 'h', mountPath: '/h' }] }] },
  });
  await until('FailedMount', async () => (await kubectl('get', 'events', '--field-selector', 'involvedObject.name=hostpath-missing')).includes('is not a directory'));
  const p = await getPod('hostpath-missing');
  assert.equal(p.status?.containerStatuses?.[0]?.state?.waiting?.reason, 'ContainerCreating');
});

test('a missing image gives ErrImagePull then ImagePullBackOff; Never without the image gives ErrImageNeverPull', async () => {
  await apply({ metadata: { name: 'noimage' }, spec: { containers: [{ name: 'c', image: '127.0.0.1:1/kujira/none:1' }] } });
  await until('ErrImagePull/ImagePullBackOff', async () => {
    const r = (await getPod('noimage')).status?.containerStatuses?.[0]?.state?.waiting?.reason;
    return r === 'ErrImagePull' || r === 'ImagePullBackOff';
  });
  await apply({ metadata: { name: 'neverpull' }, spec: { containers: [{ name: 'c', image: 'localhost/kujira-absent:1', imagePullPolicy: 'Never' }] } });
  const p = await until('ErrImageNeverPull', async () => { const p = await getPod('neverpull'); return p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ErrImageNeverPull' && p; });
  assert.equal(p.status?.containerStatuses?.[0]?.state?.waiting?.message, 'Container image "localhost/kujira-absent:1" is not present with pull policy of Never');
});

test('graceful deletion: a TERM-handling container exits at once, one that ignores TERM is killed at the grace period', async () => {
  await apply({ metadata: { name: 'polite' }, spec: { terminationGracePeriodSeconds: 20, containers: [{ name: 'web', image: DEMO_IMAGE, imagePullPolicy: 'Never' }] } });
  await apply({ metadata: { name: 'stubborn' }, spec: { terminationGracePeriodSeconds: 3, containers: [{ name: 'c', image: DEMO_IMAGE, imagePullPolicy: 'Never', command: ['sh', '-c', 'trap "" TERM; while :; do sleep 1; done'] }] } });
  for (const name of ['polite', 'stubborn']) await until(`${name} running`, async () => (await getPod(name)).status?.phase === 'Running');
  let t0 = Date.now();
  await kubectl('delete', 'pod', 'polite', '--wait=true');
  const politeMs = Date.now() - t0;
  assert.ok(politeMs < 5000, `polite pod took ${politeMs} ms`);
  t0 = Date.now();
  await kubectl('delete', 'pod', 'stubborn', '--wait=true');
  const stubbornMs = Date.now() - t0;
  assert.ok(stubbornMs >= 2900 && stubbornMs < 12_000, `stubborn pod took ${stubbornMs} ms`);
  const left = (await agent!.runtime.listSandboxes()).filter((s) => s.name === 'polite' || s.name === 'stubborn');
  assert.deepEqual(left, []);
});

test('a crashing container backs off: CrashLoopBackOff with growing waits (base 1 s here)', async () => {
  await apply({ metadata: { name: 'crasher' }, spec: { containers: [{ name: 'c', image: DEMO_IMAGE, imagePullPolicy: 'Never', command: ['sh', '-c', 'echo crash; exit 2'] }] } });
  const restarts: number[] = [];
  let sawBackOff = '';
  const t0 = Date.now();
  await until('three restarts', async () => {
    const st = (await getPod('crasher')).status?.containerStatuses?.[0];
    if (st?.state?.waiting?.reason === 'CrashLoopBackOff') sawBackOff = st.state.waiting.message ?? '';
    const n = st?.restartCount ?? 0;
    while (restarts.length < n) restarts.push(Date.now() - t0);
    return n >= 3;
  }, 30_000);
  assert.match(sawBackOff, /^back-off \d+s restarting failed container=c pod=crasher_default\(/);
  // Restart 1 is immediate, then waits of 1 s and 2 s: the third restart comes no sooner than 3 s after the first exit.
  assert.ok(restarts[2]! - restarts[0]! >= 2500, `restarts at ${restarts.join(', ')} ms`);
  const st = (await getPod('crasher')).status?.containerStatuses?.[0];
  assert.equal(st?.lastState?.terminated?.exitCode, 2);
  await kubectl('delete', 'pod', 'crasher', '--wait=true');
});

test('an agent restart picks its pods up again without duplicating containers', async () => {
  const before = (await getPod('pair')).status?.containerStatuses?.map((c) => c.containerID).sort();
  await agent!.stop({ keepRuntime: true });
  const api = cluster!.context.api;
  agent = await startNodeAgent({ client, dataDir: join(dir, 'node'), nodeName: NODE, options: { clientCA: api.caPem, relistIntervalMs: 300, log: agentLog } });
  await sleep(1500);
  const after = (await getPod('pair')).status?.containerStatuses?.map((c) => c.containerID).sort();
  assert.deepEqual(after, before);
  const pairSandbox = (await agent.runtime.listSandboxes()).filter((s) => s.name === 'pair');
  assert.equal(pairSandbox.length, 1);
  assert.equal((await agent.runtime.listContainers({ sandboxId: pairSandbox[0]!.id })).length, 2);
});
