// The node agent against a real containerd and the real kubectl: `kujira up` (simulated runtime, so it runs no
// agent of its own) in this process, then our agent joined to it. Needs root and the Debian packages
// (containerd runc containernetworking-plugins busybox-static iptables docker-registry); fails, never skips, without them.
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
import { buildOciImage, demoImage, ensureBuiltinImages } from '../../src/runtime/cri/images.js';
import { pushImage } from '../../src/runtime/cri/registry.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { httpGet, until } from '../support/cluster.js';

const run = promisify(execFile);
const NODE = 'agent-e2e';
/** KUJIRA_E2E_AGENT_LOG=1 prints the agent's own log lines. */
const agentLog = process.env.KUJIRA_E2E_AGENT_LOG ? (line: string) => console.error(`[agent] ${line}`) : () => {};
let dir = '';
let cluster: Cluster | undefined;
let agent: NodeAgent | undefined;
let client: KubeClient;
let kubeconfig = '';
let registry: TestRegistry | undefined;

async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await run('kubectl', args, { env: { ...process.env, KUBECONFIG: kubeconfig }, timeout: 60_000 });
  return stdout;
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
  registry = await startRegistry(join(dir, 'registry'));
});

after(async () => {
  await registry?.stop().catch(() => {});
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
        { name: 'web', image: DEMO_IMAGE, imagePullPolicy: 'Never', volumeMounts: [{ name: 'shared', mountPath: '/shared' }] },
        // side asks web (over localhost) to write into the volume at web's path, then reads it at its own.
        { name: 'side', image: DEMO_IMAGE, imagePullPolicy: 'Never', command: ['sh', '-c', 'until wget -qO- "http://127.0.0.1:8080/write?path=/shared/msg&text=shared-ok"; do sleep 0.2; done; cat /data/msg; echo "I am $POD_NAME in $POD_NS"; exec sleep 3600'],
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

test('the demo image: / shows the pod, /write and /fs reach a volume; /fail/healthy makes liveness restart it and logs --previous shows the old one', async () => {
  await apply({
    metadata: { name: 'liveness' },
    spec: {
      volumes: [{ name: 'data', emptyDir: {} }],
      containers: [{
        name: 'app', image: DEMO_IMAGE, imagePullPolicy: 'Never', env: [{ name: 'GREETING', value: 'hello from env' }],
        volumeMounts: [{ name: 'data', mountPath: '/data' }],
        livenessProbe: { httpGet: { path: '/healthy', port: 8080 }, periodSeconds: 1, failureThreshold: 1 },
        readinessProbe: { httpGet: { path: '/ready', port: 8080 }, periodSeconds: 1 },
      }],
    },
  });
  const pod = await until('Ready', async () => { const p = await getPod('liveness'); return p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' && p; });
  const ip = pod.status!.podIP!;
  const home = await httpGet(`http://${ip}:8080/`);
  assert.equal(home.status, 200);
  assert.match(home.body, /^hostname: liveness$/m);
  assert.match(home.body, new RegExp(`^pod IP: ${ip.replace(/\./g, '\\.')} $`, 'm'));
  assert.match(home.body, /^ {2}GREETING=hello from env$/m);
  assert.equal((await httpGet(`http://${ip}:8080/write?path=/data/note&text=kept+here`)).body, 'wrote /data/note\n');
  assert.match((await httpGet(`http://${ip}:8080/fs?path=/data`)).body, / note\n/);
  assert.equal((await httpGet(`http://${ip}:8080/fail/healthy`)).status, 200);
  const restarted = await until('a restart', async () => { const p = await getPod('liveness'); return (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 && p; }, 45_000);
  // The demo exits 0 on the SIGTERM the agent sends when liveness fails.
  assert.equal(restarted.status?.containerStatuses?.[0]?.lastState?.terminated?.exitCode, 0);
  const previous = await kubectl('logs', 'liveness', '--previous');
  assert.match(previous, /^kujira-demo: starting on port 8080 as liveness$/m);
  assert.match(previous, /^kujira-demo: GET \/fail\/healthy 200$/m);
  assert.match(previous, /^kujira-demo: GET \/healthy 500$/m);
  assert.match(previous, /^kujira-demo: SIGTERM received, exiting$/m);
  const events = await kubectl('get', 'events', '--field-selector', 'involvedObject.name=liveness', '-o', 'json');
  const reasons = (JSON.parse(events) as { items: core.Event[] }).items.map((e) => `${e.reason}: ${e.message}`);
  assert.ok(reasons.some((r) => r.startsWith('Unhealthy: Liveness probe failed: HTTP probe failed with statuscode: 500')), reasons.join('\n'));
  assert.ok(reasons.some((r) => r === 'Killing: Container app failed liveness probe, will be restarted'), reasons.join('\n'));
  // The emptyDir outlives the container.
  await until('ready again', async () => (await getPod('liveness')).status?.containerStatuses?.[0]?.ready);
  assert.match((await httpGet(`http://${ip}:8080/fs?path=/data`)).body, / note\n/);
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

async function eventsOf(name: string): Promise<string[]> {
  const out = await kubectl('get', 'events', '--field-selector', `involvedObject.name=${name}`, '-o', 'json');
  return (JSON.parse(out) as { items: core.Event[] }).items.map((e) => `${e.reason}: ${e.message}`);
}

/** Registry requests for one repository's manifests (resolving a tag is a HEAD or GET of its manifest). */
const manifestRequests = (repository: string) => registry!.log().split('\n').filter((l) => l.includes(`/v2/${repository}/manifests/`)).length;

test('pulls from a local registry honour imagePullPolicy IfNotPresent, Always and Never', async () => {
  const repo = 'kujira/pulled';
  const image = `${registry!.host}/${repo}:1`;
  const first = buildOciImage({ ...(await demoImage()), names: [image] });
  await pushImage(registry!.host, repo, '1', first);

  // IfNotPresent, absent: pulled.
  await apply({ metadata: { name: 'pull-ifnotpresent' }, spec: { containers: [{ name: 'c', image, imagePullPolicy: 'IfNotPresent' }] } });
  const pulled = await until('running', async () => { const p = await getPod('pull-ifnotpresent'); return p.status?.containerStatuses?.[0]?.state?.running && p; });
  assert.equal(pulled.status?.containerStatuses?.[0]?.imageID, `${image.replace(/:1$/, '')}@${first.manifestDigest}`);
  const pulledEvents = await until('Pulled', async () => { const e = await eventsOf('pull-ifnotpresent'); return e.some((r) => r.startsWith('Pulled: Successfully pulled image')) && e; });
  assert.ok(pulledEvents.includes(`Pulling: Pulling image "${image}"`), pulledEvents.join('\n'));

  // IfNotPresent, present: no registry request at all.
  const before = manifestRequests(repo);
  await apply({ metadata: { name: 'pull-present' }, spec: { containers: [{ name: 'c', image, imagePullPolicy: 'IfNotPresent' }] } });
  await until('running', async () => (await getPod('pull-present')).status?.containerStatuses?.[0]?.state?.running);
  assert.ok((await eventsOf('pull-present')).includes(`Pulled: Container image "${image}" already present on machine`));
  assert.equal(manifestRequests(repo), before);

  // Always: asks the registry again and gets the tag's new content.
  const second = buildOciImage({ ...(await demoImage()), names: [image], env: ['PATH=/bin:/usr/bin', 'PORT=8080', 'BUILD=2'] });
  await pushImage(registry!.host, repo, '1', second);
  await apply({ metadata: { name: 'pull-always' }, spec: { containers: [{ name: 'c', image, imagePullPolicy: 'Always' }] } });
  const always = await until('running', async () => { const p = await getPod('pull-always'); return p.status?.containerStatuses?.[0]?.state?.running && p; });
  assert.ok(manifestRequests(repo) > before);
  assert.equal(always.status?.containerStatuses?.[0]?.imageID, `${image.replace(/:1$/, '')}@${second.manifestDigest}`);

  // Never, present: runs without the registry.
  await apply({ metadata: { name: 'pull-never' }, spec: { containers: [{ name: 'c', image, imagePullPolicy: 'Never' }] } });
  await until('running', async () => (await getPod('pull-never')).status?.containerStatuses?.[0]?.state?.running);
  for (const name of ['pull-ifnotpresent', 'pull-present', 'pull-always', 'pull-never']) await kubectl('delete', 'pod', name, '--wait=false');
});

test('a tag the registry lacks gives ErrImagePull, then ImagePullBackOff, with the events Kubernetes shows', async () => {
  const image = `${registry!.host}/kujira/absent:1`;
  await apply({ metadata: { name: 'pull-missing' }, spec: { containers: [{ name: 'c', image }] } });
  const seen = new Set<string>();
  // ErrImagePull shows for a moment after each failed pull (the event below records it), ImagePullBackOff in between.
  await until('ImagePullBackOff', async () => {
    const waiting = (await getPod('pull-missing')).status?.containerStatuses?.[0]?.state?.waiting;
    if (waiting?.reason) seen.add(waiting.reason);
    return seen.has('ImagePullBackOff');
  }, 20_000).catch((err: Error) => { throw new Error(`${err.message} (saw ${[...seen].join(', ') || 'nothing'})`); });
  const events = await eventsOf('pull-missing');
  assert.ok(events.some((e) => e.startsWith(`Failed: Failed to pull image "${image}": rpc error: code = NotFound desc = `) && e.includes('not found')), events.join('\n'));
  assert.ok(events.includes('Failed: Error: ErrImagePull'), events.join('\n'));
  // ContainerCreating (the agent's first status, before the pull) may be caught first; nothing else is.
  assert.deepEqual([...seen].filter((r, i) => r !== 'ErrImagePull' && r !== 'ImagePullBackOff' && !(i === 0 && r === 'ContainerCreating')), []);
  assert.ok(events.includes(`BackOff: Back-off pulling image "${image}"`), events.join('\n'));
  const out = await kubectl('get', 'pod', 'pull-missing');
  assert.match(out, /pull-missing\s+0\/1\s+(ErrImagePull|ImagePullBackOff)\s+0\s/);
  await kubectl('delete', 'pod', 'pull-missing', '--wait=false');
});

test('bad input shows as Kubernetes shows it and never stops the agent serving its other pods', async () => {
  // A command that does not exist: the start fails (RunContainerError), then the container backs off.
  await apply({ metadata: { name: 'bad-command' }, spec: { containers: [{ name: 'c', image: DEMO_IMAGE, imagePullPolicy: 'Never', command: ['/no/such/program'] }] } });
  // A readiness probe on a port nothing listens on.
  await apply({ metadata: { name: 'bad-probe' }, spec: { containers: [{ name: 'c', image: DEMO_IMAGE, imagePullPolicy: 'Never',
    readinessProbe: { tcpSocket: { port: 9999 }, periodSeconds: 1 } }] } });
  // A volumeMount naming no volume never reaches the node.
  const file = join(dir, 'bad-mount.json');
  await writeFile(file, JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bad-mount' },
    spec: { nodeName: NODE, containers: [{ name: 'c', image: DEMO_IMAGE, volumeMounts: [{ name: 'nope', mountPath: '/x' }] }] } }));
  const refused = await run('kubectl', ['apply', '--validate=false', '-f', file], { env: { ...process.env, KUBECONFIG: kubeconfig } }).then(() => '', (err: { stderr: string }) => err.stderr);
  assert.match(refused, /The Pod "bad-mount" is invalid: spec\.containers\[0\]\.volumeMounts\[0\]\.name: Not found: "nope"/);

  const seen = new Set<string>();
  const bad = await until('RunContainerError then CrashLoopBackOff', async () => {
    const p = await getPod('bad-command');
    const reason = p.status?.containerStatuses?.[0]?.state?.waiting?.reason;
    if (reason) seen.add(reason);
    return seen.has('CrashLoopBackOff') && p;
  }, 20_000);
  assert.ok(seen.has('RunContainerError') || (bad.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1, [...seen].join(','));
  const terminated = bad.status?.containerStatuses?.[0]?.lastState?.terminated;
  assert.equal(terminated?.reason, 'StartError');
  assert.equal(terminated?.exitCode, 128);
  assert.match(terminated?.message ?? '', /\/no\/such\/program/);
  const badEvents = await eventsOf('bad-command');
  assert.ok(badEvents.some((e) => e.startsWith('Failed: Error: failed to create containerd task') && e.includes('/no/such/program')), badEvents.join('\n'));

  const probed = await until('running, not ready', async () => { const p = await getPod('bad-probe'); return p.status?.containerStatuses?.[0]?.state?.running && p; });
  const ip = probed.status!.podIP!;
  const probeEvents = await until('Unhealthy', async () => { const e = await eventsOf('bad-probe'); return e.some((r) => r.startsWith('Unhealthy:')) && e; });
  assert.ok(probeEvents.includes(`Unhealthy: Readiness probe failed: dial tcp ${ip}:9999: connect: connection refused`), probeEvents.join('\n'));
  assert.equal((await getPod('bad-probe')).status?.conditions?.find((c) => c.type === 'Ready')?.status, 'False');

  // Meanwhile the other pods are served: pair still answers, and a new pod starts.
  const pair = await getPod('pair');
  assert.equal((await httpGet(`http://${pair.status!.podIP!}:8080/healthy`)).body, 'ok\n');
  await apply({ metadata: { name: 'after-bad' }, spec: { containers: [{ name: 'c', image: DEMO_IMAGE, imagePullPolicy: 'Never' }] } });
  await until('after-bad running', async () => (await getPod('after-bad')).status?.phase === 'Running');
  for (const name of ['bad-command', 'bad-probe', 'after-bad']) await kubectl('delete', 'pod', name, '--wait=false');
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

test('a containerd restart keeps the pods running, undoubled, and the agent goes on working', async () => {
  const pair = await getPod('pair');
  const before = pair.status?.containerStatuses?.map((c) => c.containerID).sort();
  const oldPid = agent!.containerd.pid();
  await agent!.containerd.restart();
  assert.notEqual(agent!.containerd.pid(), oldPid);
  // Pods served throughout; the agent's CRI channel reconnects by itself.
  assert.equal((await httpGet(`http://${pair.status!.podIP!}:8080/healthy`)).body, 'ok\n');
  await apply({ metadata: { name: 'after-restart' }, spec: { containers: [{ name: 'c', image: DEMO_IMAGE, imagePullPolicy: 'Never' }] } });
  await until('after-restart running', async () => (await getPod('after-restart')).status?.phase === 'Running');
  const after = (await getPod('pair')).status?.containerStatuses?.map((c) => c.containerID).sort();
  assert.deepEqual(after, before);
  const sandboxes = (await agent!.runtime.listSandboxes()).filter((s) => s.name === 'pair');
  assert.equal(sandboxes.length, 1);
  assert.equal((await agent!.runtime.listContainers({ sandboxId: sandboxes[0]!.id })).length, 2);
  assert.equal((await getPod('pair')).status?.containerStatuses?.every((c) => c.ready && c.restartCount === 0), true);
});
