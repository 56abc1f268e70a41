// A stand-in kubelet for tests, until simulated nodes run pods: it watches pods and
// writes the status a kubelet would (Running, Ready) through the API. Only tests
// and benchmarks use it; `ready(pod)` decides which pods ever become ready.
import type { core } from '../../api/types.js';
import { Informer, PODS, realClock, type Clock, type KubeClient } from '../../client/index.js';
import { rfc3339 } from '../../client/events.js';

export interface FakeKubeletOptions {
  /** Pods for which this returns false stay Running but never Ready (default: all become Ready). */
  ready?(pod: core.Pod): boolean;
  /** Delay before a pod turns Running/Ready. */
  delayMs?: number;
  clock?: Clock;
  namespace?: string;
}

export function startFakeKubelet(client: KubeClient, opts: FakeKubeletOptions = {}): { stop(): Promise<void> } {
  const clock = opts.clock ?? realClock;
  const pods = client.resource(PODS);
  const informer = new Informer<core.Pod>(pods, { namespace: opts.namespace, clock, onError: () => {} });
  const handled = new Set<string>();
  let stopped = false;
  const inflight = new Set<Promise<void>>();

  const settle = (pod: core.Pod) => {
    const key = `${pod.metadata?.uid}`;
    if (handled.has(key) || pod.metadata?.deletionTimestamp || pod.status?.phase === 'Running') return;
    handled.add(key);
    const run = async () => {
      if (opts.delayMs) await new Promise<void>((r) => clock.setTimer(r, opts.delayMs!));
      if (stopped) return;
      const ready = opts.ready ? opts.ready(pod) : true;
      const now = rfc3339(clock.now());
      const status: core.PodStatus = {
        phase: 'Running',
        conditions: [
          { type: 'Initialized', status: 'True', lastTransitionTime: now },
          { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: now },
          { type: 'ContainersReady', status: ready ? 'True' : 'False', lastTransitionTime: now },
          { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
        ],
        hostIP: '127.0.0.1',
        podIP: '10.0.0.1',
        startTime: now,
        containerStatuses: (pod.spec?.containers ?? []).map((c) => ({
          name: c.name,
          image: c.image ?? '',
          imageID: '',
          ready,
          restartCount: 0,
          started: true,
          state: { running: { startedAt: now } },
        })),
      };
      try {
        await pods.patch(pod.metadata!.namespace, pod.metadata!.name!, { status }, 'merge', { subresource: 'status' });
      } catch {
        handled.delete(key); // gone or conflicting: a later event retries
      }
    };
    const p = run();
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  };
  informer.addEventHandler({ onAdd: settle, onUpdate: (_o, n) => settle(n) });
  informer.start();
  return {
    async stop() {
      stopped = true;
      await informer.stop();
      await Promise.all([...inflight]);
    },
  };
}
