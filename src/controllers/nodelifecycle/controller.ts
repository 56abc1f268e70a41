// Node lifecycle controller: watches Leases and Nodes. A node not heard from within the
// grace period becomes Ready=Unknown and is tainted unreachable; pods on nodes with
// NoExecute taints are deleted once their toleration runs out, so their ReplicaSets
// recreate them elsewhere. A node heard from again loses the taints.
import { ApiError } from '../../api/errors.js';
import type { coordination, core } from '../../api/types.js';
import {
  type Clock,
  EventRecorder,
  finalState,
  type Informer,
  type KubeClient,
  LEASES,
  NODE_NAME_INDEX,
  NODES,
  PODS,
  indexByNodeName,
  objectKey,
  realClock,
  runController,
  SharedInformerFactory,
  WorkQueue,
} from '../../client/index.js';
import { findCondition, rfc3339 } from '../../node/shared/conditions.js';
import { desiredTaints, evictionDueAt, isStale, podNotReadyConditions, staleConditions } from './health.js';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

export interface NodeLifecycleOptions {
  /** --node-monitor-grace-period: how long a silent node stays Ready (default 40s). */
  nodeMonitorGracePeriodMs?: number;
  /** How often every node is checked (default 5s). */
  nodeMonitorPeriodMs?: number;
  workers?: number;
  onError?(err: unknown): void;
}

export interface NodeLifecycleController {
  readonly ready: Promise<void>;
  stop(): Promise<void>;
}

export interface StartNodeLifecycleArgs {
  client: KubeClient;
  now?: () => number;
  clock?: Clock;
  informers?: SharedInformerFactory;
  options?: NodeLifecycleOptions;
}

export function startNodeLifecycleController(args: StartNodeLifecycleArgs): NodeLifecycleController {
  const opts = args.options ?? {};
  const baseClock = args.clock ?? realClock;
  const now = args.now ?? (() => baseClock.now());
  const graceMs = opts.nodeMonitorGracePeriodMs ?? 40_000;
  const periodMs = opts.nodeMonitorPeriodMs ?? 5_000;
  const onError = opts.onError ?? ((err: unknown) => console.error('[node-lifecycle]', err instanceof Error ? err.message : err));
  const ownFactory = !args.informers;
  const factory = args.informers ?? new SharedInformerFactory(args.client, { clock: baseClock, onError });
  const nodesApi = args.client.resource(NODES);
  const podsApi = args.client.resource(PODS);
  const recorder = new EventRecorder(args.client, { component: 'node-controller' }, { clock: baseClock, onError });

  const nodeInformer: Informer<core.Node> = factory.informer(NODES);
  const podInformer: Informer<core.Pod> = factory.informer(PODS, { indexers: { [NODE_NAME_INDEX]: indexByNodeName } });
  const leaseInformer: Informer<coordination.Lease> = factory.informer(LEASES);

  /** When we last heard from each node: a lease renewal or a new Ready heartbeat, as observed here. */
  const heardAt = new Map<string, number>();
  const lastSignal = new Map<string, string>();

  function observe(nodeName: string, signal: string | undefined): void {
    if (!signal) {
      if (!heardAt.has(nodeName)) heardAt.set(nodeName, now());
      return;
    }
    if (lastSignal.get(nodeName) === signal && heardAt.has(nodeName)) return;
    lastSignal.set(nodeName, signal);
    heardAt.set(nodeName, now());
  }

  const leaseSignal = (l: coordination.Lease): string | undefined => (l.spec?.renewTime ? `lease:${l.spec.renewTime}` : undefined);
  const nodeSignal = (n: core.Node): string | undefined => {
    const hb = findCondition(n.status?.conditions, 'Ready')?.lastHeartbeatTime;
    return hb ? `status:${hb}` : undefined;
  };

  const nodeQueue = new WorkQueue<string>({ name: 'node-lifecycle', clock: baseClock });
  const podQueue = new WorkQueue<string>({ name: 'taint-eviction', clock: baseClock });

  leaseInformer.addEventHandler({
    onAdd: (l) => {
      if (l.metadata?.namespace !== NODE_LEASE_NAMESPACE) return;
      observe(l.metadata.name ?? '', leaseSignal(l));
      nodeQueue.add(l.metadata.name ?? '');
    },
    onUpdate: (_o, l) => {
      if (l.metadata?.namespace !== NODE_LEASE_NAMESPACE) return;
      observe(l.metadata.name ?? '', leaseSignal(l));
      nodeQueue.add(l.metadata.name ?? '');
    },
  });
  nodeInformer.addEventHandler({
    onAdd: (n) => {
      observe(n.metadata?.name ?? '', nodeSignal(n));
      nodeQueue.add(n.metadata?.name ?? '');
    },
    onUpdate: (_o, n) => {
      observe(n.metadata?.name ?? '', nodeSignal(n));
      nodeQueue.add(n.metadata?.name ?? '');
    },
    onDelete: (obj) => {
      const name = finalState(obj).metadata?.name ?? '';
      heardAt.delete(name);
      lastSignal.delete(name);
    },
  });
  const onPod = (p: core.Pod): void => {
    if (p.spec?.nodeName && !p.metadata?.deletionTimestamp) podQueue.add(objectKey(p));
  };
  podInformer.addEventHandler({ onAdd: onPod, onUpdate: (_o, p) => onPod(p) });

  async function reconcileNode(name: string): Promise<{ requeueAfterMs?: number } | void> {
    const node = nodeInformer.cache.get(name);
    if (!node) return;
    const t = now();
    const last = heardAt.get(name) ?? t;
    if (!heardAt.has(name)) heardAt.set(name, t);
    let current = node;
    if (isStale(last, t, graceMs)) {
      const conditions = staleConditions(current, t);
      if (conditions) {
        // A conflict fails the reconcile; it is retried with backoff on fresh caches.
        current = await nodesApi.updateStatus(undefined, { ...current, status: { ...current.status, conditions } });
        recorder.event(current, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
        for (const pod of podInformer.cache.byIndex(NODE_NAME_INDEX, name)) {
          const next = podNotReadyConditions(pod, t);
          if (!next) continue;
          try {
            await podsApi.updateStatus(pod.metadata?.namespace, { ...pod, status: { ...pod.status, conditions: next } });
          } catch (err) {
            if (!(err instanceof ApiError && (err.code === 404 || err.code === 409))) onError(err);
          }
        }
      }
    }
    const taints = desiredTaints(current, t);
    if (taints) {
      current = await nodesApi.update(undefined, { ...current, spec: { ...current.spec, taints } });
      for (const pod of podInformer.cache.byIndex(NODE_NAME_INDEX, name)) podQueue.add(objectKey(pod));
    }
    // Come back when the heartbeat would go stale.
    if (!isStale(last, t, graceMs)) return { requeueAfterMs: last + graceMs + 1 - t };
    return undefined;
  }

  async function reconcilePod(key: string): Promise<{ requeueAfterMs?: number } | void> {
    const pod = podInformer.cache.get(key);
    if (!pod || pod.metadata?.deletionTimestamp || !pod.spec?.nodeName) return;
    const node = nodeInformer.cache.get(pod.spec.nodeName);
    if (!node) return;
    const t = now();
    const due = evictionDueAt(pod, node, t);
    if (due === undefined) return;
    if (due > t) return { requeueAfterMs: due - t };
    const ns = pod.metadata?.namespace;
    const name = pod.metadata?.name ?? '';
    recorder.event(pod, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${ns}/${name}`);
    try {
      const conditions = [
        ...(pod.status?.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget'),
        { type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager', message: 'Taint manager: deleting due to NoExecute taint', lastTransitionTime: rfc3339(t) },
      ];
      await podsApi.updateStatus(ns, { ...pod, status: { ...pod.status, conditions } });
      await podsApi.delete(ns, name, { preconditions: { uid: pod.metadata?.uid ?? '' } });
    } catch (err) {
      if (!(err instanceof ApiError && (err.code === 404 || err.code === 409))) throw err;
    }
    return undefined;
  }

  let periodic: { cancel(): void } | undefined;
  let stopping = false;
  const tick = (): void => {
    if (stopping) return;
    for (const key of nodeInformer.cache.keys()) nodeQueue.add(key);
    periodic = baseClock.setTimer(tick, periodMs);
  };

  factory.start();
  const nodeCtl = runController({ name: 'node-lifecycle', queue: nodeQueue, workers: opts.workers ?? 4, waitFor: [nodeInformer, podInformer, leaseInformer], reconcile: reconcileNode, onError: (_k, e) => onError(e) });
  const podCtl = runController({ name: 'taint-eviction', queue: podQueue, workers: opts.workers ?? 4, waitFor: [nodeInformer, podInformer], reconcile: reconcilePod, onError: (_k, e) => onError(e) });
  const abort = new AbortController();
  const ready = factory.waitForSync(abort.signal).then((ok) => {
    if (ok && !stopping) periodic = baseClock.setTimer(tick, periodMs);
  });

  return {
    ready,
    async stop() {
      stopping = true;
      abort.abort();
      periodic?.cancel();
      await Promise.all([nodeCtl.stop(), podCtl.stop()]);
      await recorder.flush();
      if (ownFactory) await factory.stop();
    },
  };
}
