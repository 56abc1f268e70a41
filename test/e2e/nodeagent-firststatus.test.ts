// The first status the agent writes for a pod, on a real node (issue 5): as the kubelet, on taking a pod it posts
// Pending with every container waiting ContainerCreating before it creates the sandbox or pulls an image, so a watch
// sees ContainerCreating before any error state and before Running, in that order.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { core } from '../../src/api/types.js';
import { PODS } from '../../src/client/resources.js';
import type { WatchStream } from '../../src/client/client.js';
import { DEMO_IMAGE, startAgentHarness, until, type AgentHarness } from './nodeagent-harness.js';

let h: AgentHarness;

before(async () => {
  h = await startAgentHarness('kujira-agent-firststatus-', 'agent-firststatus', { imageBackoff: { baseMs: 1000, maxMs: 2000 } });
});

after(async () => {
  await h?.stop();
});

/** Every version of one pod a watch delivers, from before it exists (from the resourceVersion of a list made first). */
async function watchPod(name: string): Promise<{ seen: core.Pod[]; stop(): void }> {
  const seen: core.Pod[] = [];
  const pods = h.client.resource(PODS);
  const fieldSelector = `metadata.name=${name}`;
  const listed = await pods.list('default', { fieldSelector });
  assert.equal(listed.items.length, 0);
  const stream: WatchStream<core.Pod> = pods.watch('default', { fieldSelector, resourceVersion: listed.metadata?.resourceVersion });
  void (async () => {
    try {
      for await (const ev of stream) if (ev.type === 'ADDED' || ev.type === 'MODIFIED') seen.push(ev.object);
    } catch {
      // closed by stop()
    }
  })();
  return { seen, stop: () => stream.close() };
}

/** Creates the pod unbound (no scheduler takes it) and binds it to the agent's node, as a scheduler would. */
async function createAndBind(pod: core.Pod): Promise<void> {
  const pods = h.client.resource(PODS);
  const name = pod.metadata!.name!;
  await pods.create('default', { apiVersion: 'v1', kind: 'Pod', ...pod, spec: { schedulerName: 'nobody', ...pod.spec! } });
  await pods.createSubresource('default', name, 'binding', {
    apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { apiVersion: 'v1', kind: 'Node', name: h.nodeName },
  });
}

const waitingReason = (p: core.Pod) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason;
const cond = (p: core.Pod, type: string) => p.status?.conditions?.find((c) => c.type === type);

/** The versions the agent wrote: those with container statuses (the API server and the binding write none). */
const agentWrites = (seen: core.Pod[]) => seen.filter((p) => p.status?.containerStatuses);

function assertFirstStatus(p: core.Pod, image: string): void {
  const st = p.status!;
  assert.equal(st.phase, 'Pending');
  assert.equal(st.hostIP, '127.0.0.1');
  assert.deepEqual(st.hostIPs, [{ ip: '127.0.0.1' }]);
  assert.ok(st.startTime, 'startTime');
  assert.equal(st.qosClass, 'BestEffort');
  assert.equal(st.podIP, undefined);
  assert.deepEqual(st.conditions?.map((c) => [c.type, c.status, c.reason ?? '', c.message ?? '']), [
    ['PodReadyToStartContainers', 'False', '', ''],
    ['Initialized', 'True', '', ''],
    ['Ready', 'False', 'ContainersNotReady', 'containers with unready status: [c]'],
    ['ContainersReady', 'False', 'ContainersNotReady', 'containers with unready status: [c]'],
    ['PodScheduled', 'True', '', ''],
  ]);
  assert.deepEqual(st.containerStatuses, [{
    name: 'c', state: { waiting: { reason: 'ContainerCreating' } }, lastState: {}, ready: false, restartCount: 0, image, imageID: '', started: false,
  }]);
}

test('a pod whose image can never be had: the first status is ContainerCreating, then ErrImageNeverPull', async () => {
  const image = 'localhost/kujira/absent:1';
  const watch = await watchPod('never-pull');
  try {
    await createAndBind({ metadata: { name: 'never-pull' }, spec: { containers: [{ name: 'c', image, imagePullPolicy: 'Never' }] } });
    await until('ErrImageNeverPull', async () => watch.seen.some((p) => waitingReason(p) === 'ErrImageNeverPull'), 20_000);
    const writes = agentWrites(watch.seen);
    assertFirstStatus(writes[0]!, image);
    const reasons = writes.map(waitingReason);
    assert.deepEqual(reasons.slice(0, reasons.indexOf('ErrImageNeverPull') + 1), ['ContainerCreating', 'ErrImageNeverPull'], reasons.join(' → '));
    const failed = writes.find((p) => waitingReason(p) === 'ErrImageNeverPull')!;
    assert.equal(failed.status?.containerStatuses?.[0]?.state?.waiting?.message, `Container image "${image}" is not present with pull policy of Never`);
    // The sandbox exists by now; startTime and the conditions' times are the first write's.
    assert.equal(failed.status?.startTime, writes[0]!.status?.startTime);
    assert.equal(cond(failed, 'PodReadyToStartContainers')?.status, 'True');
    assert.equal(cond(failed, 'Ready')?.lastTransitionTime, cond(writes[0]!, 'Ready')?.lastTransitionTime);
  } finally {
    watch.stop();
    await h.k(['delete', 'pod', 'never-pull', '--wait=true', '--ignore-not-found']);
  }
});

test('an image pull that fails (a registry address nothing serves): ContainerCreating first, then ErrImagePull', async () => {
  const image = '127.0.0.1:1/kujira/none:1';
  const watch = await watchPod('no-registry');
  try {
    await createAndBind({ metadata: { name: 'no-registry' }, spec: { containers: [{ name: 'c', image }] } });
    await until('ErrImagePull', async () => watch.seen.some((p) => waitingReason(p) === 'ErrImagePull'), 30_000);
    const writes = agentWrites(watch.seen);
    assertFirstStatus(writes[0]!, image);
    const reasons = writes.map(waitingReason);
    assert.deepEqual(reasons.slice(0, reasons.indexOf('ErrImagePull') + 1), ['ContainerCreating', 'ErrImagePull'], reasons.join(' → '));
  } finally {
    watch.stop();
    await h.k(['delete', 'pod', 'no-registry', '--wait=true', '--ignore-not-found']);
  }
});

test('a pod that starts: ContainerCreating then Running, in that order, in kubectl get -w too', async () => {
  const watch = await watchPod('starts');
  const kubectlWatch = h.background(['get', 'pods', '--field-selector', 'metadata.name=starts', '-w', '--no-headers', '-v=6']);
  try {
    // kubectl's watch must be open before the pod exists: wait until it logs (-v=6) its watch request.
    await until('kubectl watching', async () => /GET \S+watch=true\S* 200 OK/.test(kubectlWatch.out()), 10_000)
      .catch((err: Error) => { throw new Error(`${err.message}; kubectl printed ${JSON.stringify(kubectlWatch.out())}`); });
    await createAndBind({ metadata: { name: 'starts' }, spec: { containers: [{ name: 'c', image: DEMO_IMAGE, imagePullPolicy: 'Never' }] } });
    await until('Running', async () => watch.seen.some((p) => p.status?.phase === 'Running'), 30_000);
    const writes = agentWrites(watch.seen);
    assertFirstStatus(writes[0]!, DEMO_IMAGE);
    const running = writes.find((p) => p.status?.phase === 'Running')!;
    assert.equal(running.status?.startTime, writes[0]!.status?.startTime);
    assert.ok(running.status?.containerStatuses?.[0]?.state?.running);
    assert.equal(running.status?.containerStatuses?.[0]?.image, DEMO_IMAGE);
    // No state between them but the ones a start goes through; never back to ContainerCreating after Running.
    const states = writes.map((p) => (p.status?.phase === 'Running' ? 'Running' : waitingReason(p)));
    assert.deepEqual(states.slice(0, states.indexOf('Running') + 1), ['ContainerCreating', 'Running'], states.join(' → '));
    const printed = await until('kubectl shows Running', async () => {
      const lines = kubectlWatch.out().split('\n').filter((l) => l.startsWith('starts '));
      return lines.some((l) => /\sRunning\s/.test(l)) && lines;
    }, 10_000);
    const statuses = printed.map((l) => l.split(/\s+/)[2]);
    assert.ok(statuses.indexOf('ContainerCreating') >= 0 && statuses.indexOf('ContainerCreating') < statuses.indexOf('Running'), statuses.join(' → '));
  } finally {
    watch.stop();
    await kubectlWatch.stop();
    await h.k(['delete', 'pod', 'starts', '--wait=true', '--ignore-not-found']);
  }
});
