// Bad input on a real node (issue 5): each mistake shows in the pod's status and events as the kubelet shows it,
// through the real kubectl, and the agent goes on serving its other pods (a steady pod answers after each case).
// An image archive that is not one is refused by `kujira image import` (test/e2e/nodeagent-up.test.ts).
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { core } from '../../src/api/types.js';
import { DEMO_IMAGE, httpGet, startAgentHarness, until, type AgentHarness } from './nodeagent-harness.js';

let h: AgentHarness;
let steadyIP = '';

const demo = (extra: object = {}) => ({ name: 'c', image: DEMO_IMAGE, imagePullPolicy: 'Never', ...extra });

/** The steady pod still answers: the agent kept serving it through the bad input. */
async function steadyServes(): Promise<void> {
  assert.equal((await httpGet(`http://${steadyIP}:8080/healthy`)).body, 'ok\n');
  const st = (await h.getPod('steady')).status;
  assert.equal(st?.phase, 'Running');
  assert.equal(st?.containerStatuses?.[0]?.restartCount, 0);
}

/**
 * `kubectl get pods -w` for one pod (by a field selector, so it can start before the pod exists), printing the first
 * container's waiting reason and message, one line per update.
 */
function watchWaiting(name: string) {
  return h.background(['get', 'pods', '--field-selector', `metadata.name=${name}`, '-w', '-o',
    'jsonpath={.status.containerStatuses[0].state.waiting.reason}{"|"}{.status.containerStatuses[0].state.waiting.message}{"\\n"}']);
}

before(async () => {
  h = await startAgentHarness('kujira-agent-badinput-', 'agent-badinput', { backoff: { baseMs: 1000, maxMs: 4000 }, imageBackoff: { baseMs: 1000, maxMs: 2000 } });
  await h.apply({ metadata: { name: 'steady' }, spec: { containers: [demo()] } });
  const pod = await until('steady Ready', async () => { const p = await h.getPod('steady'); return p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && p; });
  steadyIP = pod.status!.podIP!;
});

after(async () => {
  await h?.stop();
});

test('a missing image: ErrImagePull with the runtime\'s reason, then ImagePullBackOff', async () => {
  const image = '127.0.0.1:1/kujira/none:1';
  await h.apply({ metadata: { name: 'no-image' }, spec: { containers: [{ name: 'c', image }] } });
  const seen = new Set<string>();
  await until('ImagePullBackOff', async () => {
    const r = (await h.getPod('no-image')).status?.containerStatuses?.[0]?.state?.waiting?.reason;
    if (r) seen.add(r);
    return seen.has('ImagePullBackOff');
  }, 20_000);
  // ContainerCreating (the agent's first status, before the pull) may be caught first; nothing else is.
  assert.deepEqual([...seen].filter((r, i) => r !== 'ErrImagePull' && r !== 'ImagePullBackOff' && !(i === 0 && r === 'ContainerCreating')), []);
  const events = await h.eventsOf('no-image');
  assert.ok(events.includes(`Pulling: Pulling image "${image}"`), events.join('\n'));
  const failed = events.find((e) => e.startsWith(`Failed: Failed to pull image "${image}": rpc error: code = Unknown desc = `));
  assert.ok(failed, events.join('\n'));
  assert.match(failed, /dial tcp 127\.0\.0\.1:1: connect: connection refused$/);
  assert.ok(events.includes('Failed: Error: ErrImagePull'), events.join('\n'));
  assert.ok(events.includes(`BackOff: Back-off pulling image "${image}"`), events.join('\n'));
  assert.match(await h.k(['get', 'pod', 'no-image']), /^no-image\s+0\/1\s+(ErrImagePull|ImagePullBackOff)\s+0\s/m);
  await steadyServes();
  await h.k(['delete', 'pod', 'no-image', '--wait=false']);
});

test('a command that does not exist: RunContainerError, lastState StartError with exit code 128, then CrashLoopBackOff', async () => {
  const watch = watchWaiting('bad-command');
  try {
    await h.apply({ metadata: { name: 'bad-command' }, spec: { containers: [demo({ command: ['/no/such/program'] })] } });
    const lines = await until('CrashLoopBackOff', async () => { const l = watch.out().split('\n'); return l.some((x) => x.startsWith('CrashLoopBackOff|')) && l; }, 20_000)
      .catch((err: Error) => { throw new Error(`${err.message}; kubectl printed ${JSON.stringify(watch.out())}`); });
    const reasons = lines.map((l) => l.split('|')[0]).filter((r) => r);
    // As with containerd and the kubelet: the start fails, the next start is tried at once, then the back-off.
    const distinct = reasons.filter((r, i) => r !== reasons[i - 1] && r !== 'ContainerCreating');
    assert.deepEqual(distinct.slice(0, 2), ['RunContainerError', 'CrashLoopBackOff'], reasons.join(' → '));
    const runError = lines.find((l) => l.startsWith('RunContainerError|'))!.slice('RunContainerError|'.length);
    assert.match(runError, /^failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "\/no\/such\/program": stat \/no\/such\/program: no such file or directory: unknown$/);
    const backOff = lines.find((l) => l.startsWith('CrashLoopBackOff|'))!.slice('CrashLoopBackOff|'.length);
    assert.match(backOff, /^back-off 1s restarting failed container=c pod=bad-command_default\(/);

    const st = (await h.getPod('bad-command')).status?.containerStatuses?.[0];
    assert.equal(st?.lastState?.terminated?.reason, 'StartError');
    assert.equal(st?.lastState?.terminated?.exitCode, 128);
    assert.equal(st?.lastState?.terminated?.message, runError);
    assert.ok((st?.restartCount ?? 0) >= 1);
    const events = await h.eventsOf('bad-command');
    assert.ok(events.includes(`Failed: Error: ${runError}`), events.join('\n'));
    assert.ok(events.some((e) => e.startsWith('BackOff: Back-off restarting failed container c in pod bad-command_default(')), events.join('\n'));
    assert.match(await h.k(['get', 'pod', 'bad-command']), /^bad-command\s+0\/1\s+(RunContainerError|CrashLoopBackOff)\s+\d+/m);
  } finally {
    await watch.stop();
  }
  await steadyServes();
  await h.k(['delete', 'pod', 'bad-command', '--wait=false']);
});

test('probes on a port nothing listens on: Unhealthy with the dial error, liveness restarts the container', async () => {
  await h.apply({ metadata: { name: 'bad-probes' }, spec: { terminationGracePeriodSeconds: 5, containers: [demo({
    livenessProbe: { httpGet: { path: '/healthy', port: 8081 }, periodSeconds: 1, failureThreshold: 2 },
    readinessProbe: { tcpSocket: { port: 9999 }, periodSeconds: 1 },
  })] } });
  const pod = await until('a restart', async () => { const p = await h.getPod('bad-probes'); return (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 && p; }, 30_000);
  const ip = pod.status!.podIP!;
  const events = await h.eventsOf('bad-probes');
  assert.ok(events.includes(`Unhealthy: Liveness probe failed: Get "http://${ip}:8081/healthy": dial tcp ${ip}:8081: connect: connection refused`), events.join('\n'));
  assert.ok(events.includes(`Unhealthy: Readiness probe failed: dial tcp ${ip}:9999: connect: connection refused`), events.join('\n'));
  assert.ok(events.includes('Killing: Container c failed liveness probe, will be restarted'), events.join('\n'));
  // Container events point at their container (kubectl's SUBOBJECT), as the kubelet's do; pod-level ones do not.
  const items = (JSON.parse(await h.k(['get', 'events', '--field-selector', 'involvedObject.name=bad-probes', '-o', 'json'])) as { items: core.Event[] }).items;
  for (const reason of ['Unhealthy', 'Killing', 'Created', 'Started']) {
    const ev = items.find((e) => e.reason === reason);
    assert.equal(ev?.involvedObject.fieldPath, 'spec.containers{c}', `${reason}: ${JSON.stringify(ev?.involvedObject)}`);
  }
  assert.equal(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'False');
  // The demo exits 0 on SIGTERM: the killed attempt is Completed.
  assert.equal(pod.status?.containerStatuses?.[0]?.lastState?.terminated?.exitCode, 0);
  await steadyServes();
  await h.k(['delete', 'pod', 'bad-probes', '--wait=false']);
});

test('a hostPath of type Directory that is missing: FailedMount, and the pod stays ContainerCreating', async () => {
  const missing = join(h.dir, 'no-such-dir');
  await h.apply({ metadata: { name: 'bad-hostpath' }, spec: {
    volumes: [{ name: 'h', hostPath: { path: missing, type: 'Directory' } }],
    containers: [demo({ volumeMounts: [{ name: 'h', mountPath: '/h' }] })],
  } });
  const events = await until('FailedMount', async () => { const e = await h.eventsOf('bad-hostpath'); return e.some((x) => x.startsWith('FailedMount:')) && e; });
  assert.ok(events.includes(`FailedMount: MountVolume.SetUp failed for volume "h" : hostPath type check failed: ${missing} is not a directory`), events.join('\n'));
  const pod = await h.getPod('bad-hostpath');
  assert.equal(pod.status?.phase, 'Pending');
  assert.equal(pod.status?.containerStatuses?.[0]?.state?.waiting?.reason, 'ContainerCreating');
  assert.match(await h.k(['get', 'pod', 'bad-hostpath']), /^bad-hostpath\s+0\/1\s+ContainerCreating\s+0\s/m);
  // Once the directory exists the pod starts: the agent kept retrying.
  await mkdir(missing);
  await until('bad-hostpath Running', async () => (await h.getPod('bad-hostpath')).status?.phase === 'Running', 20_000);
  await steadyServes();
  await h.k(['delete', 'pod', 'bad-hostpath', '--wait=false']);
});

test('a volumeMount naming no volume is refused by the API server with 422 and never reaches the node', async () => {
  const file = join(h.dir, 'bad-mount.json');
  await writeFile(file, JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bad-mount' },
    spec: { nodeName: h.nodeName, containers: [demo({ volumeMounts: [{ name: 'nope', mountPath: '/x' }] })] } }));
  const refused = await h.kubectl(['apply', '--validate=false', '-f', file]);
  assert.equal(refused.code, 1);
  assert.equal(refused.stderr, 'The Pod "bad-mount" is invalid: spec.containers[0].volumeMounts[0].name: Not found: "nope"\n');
  const verbose = await h.kubectl(['create', '--validate=false', '-f', file, '-v=6']);
  assert.match(verbose.stderr, /POST https:\/\/\S+\/api\/v1\/namespaces\/default\/pods\?\S* 422 Unprocessable Entity/);
  assert.equal((await h.agent.runtime.listSandboxes()).filter((s) => s.name === 'bad-mount').length, 0);
  await steadyServes();
});

test('exec into a container that is not running: the errors kubectl gives', async () => {
  await h.apply({ metadata: { name: 'crashing' }, spec: { containers: [demo({ command: ['sh', '-c', 'exit 1'] })] } });
  await h.apply({ metadata: { name: 'completed' }, spec: { restartPolicy: 'Never', containers: [demo({ command: ['true'] })] } });
  await until('crashing in CrashLoopBackOff', async () => (await h.getPod('crashing')).status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff', 20_000);
  const crashing = await h.kubectl(['exec', 'crashing', '--', 'true']);
  assert.equal(crashing.code, 1);
  assert.equal(crashing.stderr, 'error: unable to upgrade connection: container not found ("c")\n');
  await until('completed Succeeded', async () => (await h.getPod('completed')).status?.phase === 'Succeeded');
  const completed = await h.kubectl(['exec', 'completed', '--', 'true']);
  assert.equal(completed.code, 1);
  assert.equal(completed.stderr, 'error: cannot exec into a container in a completed pod; current phase is Succeeded\n');
  // A container that is running is entered as usual.
  assert.equal(await h.k(['exec', 'steady', '--', 'echo', 'in']), 'in\n');
  await steadyServes();
  for (const name of ['crashing', 'completed']) await h.k(['delete', 'pod', name, '--wait=false']);
});

test('a mount the runtime cannot create: CreateContainerError with the runtime\'s message, retried', async () => {
  // A hostPath without a type is not checked by the node (as with the kubelet); containerd cannot make a directory under a file.
  const file = join(h.dir, 'a-file');
  await writeFile(file, 'not a directory\n');
  const under = join(file, 'sub');
  await h.apply({ metadata: { name: 'create-error' }, spec: {
    volumes: [{ name: 'h', hostPath: { path: under } }],
    containers: [demo({ volumeMounts: [{ name: 'h', mountPath: '/h' }] })],
  } });
  const waiting = await until('CreateContainerError', async () => {
    const w = (await h.getPod('create-error')).status?.containerStatuses?.[0]?.state?.waiting;
    return w?.reason === 'CreateContainerError' && w;
  }, 20_000);
  assert.match(waiting.message ?? '', new RegExp(`^failed to generate container "[0-9a-f]{64}" spec: failed to generate spec: failed to (stat|mkdir) "${under.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}": .*not a directory$`));
  const events = await h.eventsOf('create-error');
  assert.ok(events.some((e) => e.startsWith('Failed: Error: failed to generate container ')), events.join('\n'));
  assert.match(await h.k(['get', 'pod', 'create-error']), /^create-error\s+0\/1\s+CreateContainerError\s+0\s/m);
  await steadyServes();
  await h.k(['delete', 'pod', 'create-error', '--wait=false']);
});
