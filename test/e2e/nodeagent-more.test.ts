// More of the node agent through the real kubectl against `kujira up --runtime containerd`: logs -f and --since,
// init containers in order, a memory-backed emptyDir, hostPort, a startup probe holding liveness back, and a shared
// PID namespace. One cluster for the whole file; all pods are created up front so they start side by side.
// Needs root and the Debian packages (containerd runc containernetworking-plugins busybox-static iptables);
// fails, never skips, without them.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { detectContainerdSupport } from '../../src/node/agent/detect.js';
import { httpGet, kujiraBin, TestCluster, until } from '../support/cluster.js';

const DEMO = 'localhost/kujira-demo:1';

let cluster: TestCluster | undefined;
let work = '';
let nodeName = '';
let hostPort = 0;
/** Every line `kubectl get pod inits -w` printed. */
let initsWatch: { out(): string; stop(): Promise<void> } | undefined;

interface ContainerStatusJson {
  name: string;
  ready: boolean;
  started?: boolean;
  restartCount: number;
  state?: { waiting?: { reason?: string }; running?: object; terminated?: { exitCode: number; reason?: string } };
}
interface PodJson {
  status?: {
    phase?: string;
    conditions?: { type: string; status: string }[];
    initContainerStatuses?: ContainerStatusJson[];
    containerStatuses?: ContainerStatusJson[];
  };
}

const k = (args: string[]) => cluster!.k(args);
const pod = async (name: string) => JSON.parse(await k(['get', 'pod', name, '-o', 'json'])) as PodJson;
const isReady = (p: PodJson) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

async function createPod(name: string, spec: object): Promise<void> {
  const file = join(work, `${name}.json`);
  await writeFile(file, JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName, ...spec } }));
  await k(['apply', '--validate=false', '-f', file]);
}

/** A port nothing on 127.0.0.1 listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}


const demo = (name: string, extra: object = {}) => ({ name, image: DEMO, imagePullPolicy: 'Never', ...extra });

before(async () => {
  const support = await detectContainerdSupport();
  if (!support.ok) throw new Error(`the node agent e2e tests need containerd: ${support.why}`);
  work = await mkdtemp(join(tmpdir(), 'kujira-agent-more-e2e-'));
  // Only the node agent: every pod names its node.
  cluster = await TestCluster.start({ command: [kujiraBin, 'up'], extraArgs: ['--runtime', 'containerd', '--controllers=node-agent'], timeoutMs: 120_000 });
  nodeName = await until('the node', async () => (await k(['get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}'])).trim());
  hostPort = await freePort();
  // Prints one line, then a second only once told to (by a file exec creates), so follow and --since can be timed.
  await createPod('talker', { containers: [demo('talk', { command: ['sh', '-c', 'echo first line; until [ -f /tmp/go ]; do sleep 0.1; done; echo later line; exec sleep 3600'] })] });
  // The first init container waits to be told (through exec); each checks its predecessor wrote first; the app shows the order.
  await createPod('inits', {
    volumes: [{ name: 'work', emptyDir: {} }],
    initContainers: [
      demo('first', { command: ['sh', '-c', 'until [ -f /work/go ]; do sleep 0.1; done; echo first >> /work/order'], volumeMounts: [{ name: 'work', mountPath: '/work' }] }),
      demo('second', { command: ['sh', '-c', 'grep -qx first /work/order && sleep 1 && echo second >> /work/order'], volumeMounts: [{ name: 'work', mountPath: '/work' }] }),
    ],
    containers: [demo('app', { command: ['sh', '-c', 'cat /work/order; echo app; exec sleep 3600'], volumeMounts: [{ name: 'work', mountPath: '/work' }] })],
  });
  // Watched from its creation: the first init container waits for the test, so no state is missed.
  initsWatch = cluster.kubectlBackground(['get', 'pod', 'inits', '-w']);
  await createPod('tmpfs', {
    volumes: [{ name: 'mem', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } }],
    containers: [demo('c', { command: ['sleep', '3600'], volumeMounts: [{ name: 'mem', mountPath: '/mem' }] })],
  });
  await createPod('hostport', { containers: [demo('web', { ports: [{ containerPort: 8080, hostPort }] })] });
  // Liveness would fail at once (failureThreshold 1) until /tmp/started exists (the test makes it); the startup
  // probe must hold it back.
  await createPod('startup', {
    containers: [demo('slow', {
      command: ['sleep', '3600'],
      startupProbe: { exec: { command: ['cat', '/tmp/started'] }, periodSeconds: 1, failureThreshold: 60 },
      livenessProbe: { exec: { command: ['cat', '/tmp/started'] }, periodSeconds: 1, failureThreshold: 1 },
    })],
  });
  await createPod('sharepid', {
    shareProcessNamespace: true,
    containers: [demo('one', { command: ['sleep', '3601'] }), demo('two', { command: ['sleep', '3602'] })],
  });
});

after(async () => {
  await initsWatch?.stop();
  // SIGINT, as a user stops `kujira up`: the agent removes its pods and network before it exits.
  await cluster?.dispose('SIGINT');
  if (work) await rm(work, { recursive: true, force: true });
});

test('kubectl logs -f follows a container: a line printed later arrives, and --since leaves older lines out', async () => {
  await until('talker running', async () => (await pod('talker')).status?.phase === 'Running');
  const follow = cluster!.kubectlBackground(['logs', '-f', 'talker']);
  try {
    await until('the first line through -f', async () => follow.out().includes('first line\n'));
    // --since=2s: the first line drops out once it is more than two seconds old.
    await until('the first line older than --since', async () => !(await k(['logs', 'talker', '--since=2s'])).includes('first line'));
    assert.equal(follow.out(), 'first line\n');
    await k(['exec', 'talker', '--', 'touch', '/tmp/go']);
    await until('the later line through -f', async () => follow.out().includes('later line\n'));
    assert.equal(follow.out(), 'first line\nlater line\n');
    assert.equal(await until('the later line within --since', async () => { const l = await k(['logs', 'talker', '--since=2s']); return l.includes('later line') && l; }), 'later line\n');
    assert.equal(await k(['logs', 'talker']), 'first line\nlater line\n');
  } finally {
    await follow.stop();
  }
});

test('init containers run to completion in order before the app container: Init:0/2, Init:1/2, PodInitializing, Running', async () => {
  const during = await until('the first init container running', async () => { const p = await pod('inits'); return p.status?.initContainerStatuses?.[0]?.state?.running && p; });
  assert.equal(during.status?.phase, 'Pending');
  assert.equal(during.status?.containerStatuses?.[0]?.state?.waiting?.reason, 'PodInitializing');
  assert.equal(during.status?.conditions?.find((c) => c.type === 'Initialized')?.status, 'False');
  assert.match(await k(['get', 'pod', 'inits']), /^inits\s+0\/1\s+Init:0\/2\s+0\s/m);
  await k(['exec', 'inits', '-c', 'first', '--', 'touch', '/work/go']);
  const running = await until('inits Running', async () => { const p = await pod('inits'); return p.status?.containerStatuses?.[0]?.state?.running && p; });
  assert.equal(running.status?.phase, 'Running');
  for (const init of running.status?.initContainerStatuses ?? []) {
    assert.equal(init.state?.terminated?.exitCode, 0, init.name);
    assert.equal(init.state?.terminated?.reason, 'Completed', init.name);
  }
  assert.equal(running.status?.conditions?.find((c) => c.type === 'Initialized')?.status, 'True');
  assert.equal(await until('app logs', async () => { const l = await k(['logs', 'inits']); return l.includes('app') && l; }), 'first\nsecond\napp\n');
  // What kubectl showed as the pod went: the STATUS column, in order, without repeats.
  const statuses = await until('the watch to see Running', async () => {
    const seen = initsWatch!.out().split('\n').map((l) => /^inits\s+\S+\s+(\S+)/.exec(l)?.[1]).filter((s): s is string => !!s);
    return seen.includes('Running') && seen.filter((s, i) => s !== seen[i - 1]);
  }, 10_000);
  // Before the watch's first event the pod may still be Pending; after it, exactly the kubelet's sequence.
  assert.deepEqual(statuses.filter((s) => s !== 'Pending'), ['Init:0/2', 'Init:1/2', 'PodInitializing', 'Running'], statuses.join(' → '));
});

test('emptyDir with medium Memory is a tmpfs of its size limit', async () => {
  await until('tmpfs running', async () => (await pod('tmpfs')).status?.phase === 'Running');
  const mounts = await k(['exec', 'tmpfs', '--', 'cat', '/proc/mounts']);
  const line = mounts.split('\n').find((l) => l.split(' ')[1] === '/mem');
  assert.ok(line, mounts);
  assert.match(line, /^\S+ \/mem tmpfs rw,/);
  assert.match(line, /[,\s]size=1024k[,\s]/);
  const full = await cluster!.kubectl(['exec', 'tmpfs', '--', 'dd', 'if=/dev/zero', 'of=/mem/big', 'bs=64k', 'count=32']);
  assert.notEqual(full.code, 0);
  assert.match(full.stderr, /No space left on device/);
});

test('hostPort reaches the pod through 127.0.0.1 on the host', async () => {
  await until('hostport Ready', async () => isReady(await pod('hostport')));
  const res = await until('an answer on the host port', () => httpGet(`http://127.0.0.1:${hostPort}/`, 3000), 15_000);
  assert.equal(res.status, 200);
  assert.match(res.body, /^hostname: hostport$/m);
  assert.match(await until('the request in the logs', async () => { const l = await k(['logs', 'hostport']); return l.includes('GET / 200') && l; }), /^kujira-demo: GET \/ 200$/m);
});

test('a startup probe holds liveness back until it succeeds', async () => {
  const eventLines = async () => k(['get', 'events', '--field-selector', 'involvedObject.name=startup', '-o', 'jsonpath={range .items[*]}{.reason}: {.message} x{.count}{"\\n"}{end}']);
  // Three failed startup probes: liveness (period 1 s, threshold 1) would have killed the container by now.
  const events = await until('three failed startup probes', async () => {
    const e = await eventLines();
    const m = /^Unhealthy: Startup probe failed: .* x(\d+)$/m.exec(e);
    return !!m && Number(m[1]) >= 3 && e;
  }, 20_000);
  assert.doesNotMatch(events, /Liveness probe failed|^Killing:/m);
  const waiting = (await pod('startup')).status!.containerStatuses![0]!;
  assert.deepEqual([waiting.started, waiting.ready, waiting.restartCount], [false, false, 0]);
  assert.ok(waiting.state?.running, JSON.stringify(waiting.state));
  await k(['exec', 'startup', '--', 'touch', '/tmp/started']);
  const started = await until('started and Ready', async () => { const p = await pod('startup'); return isReady(p) && p.status?.containerStatuses?.[0]; });
  assert.equal(started.started, true);
  assert.equal(started.restartCount, 0);
  assert.doesNotMatch(await eventLines(), /Liveness probe failed|^Killing:/m);
});

test('shareProcessNamespace: each container sees the other\'s processes', async () => {
  await until('sharepid Ready', async () => isReady(await pod('sharepid')));
  const fromTwo = await k(['exec', 'sharepid', '-c', 'two', '--', 'ps', '-o', 'args']);
  assert.match(fromTwo, /^sleep 3601$/m);
  assert.match(fromTwo, /^sleep 3602$/m);
  const fromOne = await k(['exec', 'sharepid', '-c', 'one', '--', 'ps', '-o', 'args']);
  assert.match(fromOne, /^sleep 3602$/m);
  // Without it (the talker pod), a container sees only its own.
  const alone = await k(['exec', 'talker', '--', 'ps', '-o', 'args']);
  assert.doesNotMatch(alone, /sleep 360[12]/);
});
