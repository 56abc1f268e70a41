// The scheduler's I/O: informers feed the cache and the queue; one loop takes a pod,
// runs the pure scheduling step over the cache, assumes the pod onto the chosen node
// and binds it asynchronously through pods/binding, so the next pod is already being
// placed while the API server writes the last binding.
import { ApiError } from '../api/errors.js';
import type { core } from '../api/types.js';
import {
  type Clock,
  EventRecorder,
  finalState,
  type Informer,
  type KubeClient,
  NODES,
  PODS,
  realClock,
  SharedInformerFactory,
} from '../client/index.js';
import { findCondition, rfc3339 } from '../node/shared/conditions.js';
import { isTerminal, SchedulerCache } from './cache.js';
import { makePodInfo, podKey } from './framework/nodeinfo.js';
import { schedule, type Scheduling } from './framework/schedule.js';
import { defaultProfile } from './plugins/registry.js';
import { SchedulingQueue } from './queue.js';

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

export interface SchedulerOptions {
  schedulerName?: string;
  /** 0 = Kubernetes' adaptive default. */
  percentageOfNodesToScore?: number;
  /** Per-pod retry back-off after a failed attempt (Kubernetes: 1s doubling to 10s). */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Bindings in flight at once. */
  maxInflightBindings?: number;
  /** Record Scheduled / FailedScheduling events (on by default). */
  events?: boolean;
  random?: () => number;
  onError?(err: unknown): void;
}

export interface SchedulerStats {
  attempts: number;
  scheduled: number;
  unschedulable: number;
  bindErrors: number;
}

export interface RunningScheduler {
  stop(): Promise<void>;
  /** Resolves once the caches are synced and the loop runs. */
  readonly ready: Promise<void>;
  stats(): SchedulerStats;
}

export interface StartSchedulerArgs {
  client: KubeClient;
  now?: () => number;
  clock?: Clock;
  /** Shared informers of the process; when given, the caller owns starting/stopping them (we start them too, idempotently). */
  informers?: SharedInformerFactory;
  options?: SchedulerOptions;
}

function isResponsible(pod: core.Pod, schedulerName: string): boolean {
  return (pod.spec?.schedulerName ?? DEFAULT_SCHEDULER_NAME) === schedulerName;
}

function needsScheduling(pod: core.Pod, schedulerName: string): boolean {
  return !pod.spec?.nodeName && !pod.metadata?.deletionTimestamp && !isTerminal(pod) && isResponsible(pod, schedulerName);
}

/** Node changes that can turn "fits nowhere" into "fits": not heartbeats. */
function nodeChangeMatters(a: core.Node, b: core.Node): boolean {
  if (a.spec?.unschedulable !== b.spec?.unschedulable) return true;
  if (JSON.stringify(a.spec?.taints ?? []) !== JSON.stringify(b.spec?.taints ?? [])) return true;
  if (JSON.stringify(a.metadata?.labels ?? {}) !== JSON.stringify(b.metadata?.labels ?? {})) return true;
  if (JSON.stringify(a.status?.allocatable ?? {}) !== JSON.stringify(b.status?.allocatable ?? {})) return true;
  return findCondition(a.status?.conditions, 'Ready')?.status !== findCondition(b.status?.conditions, 'Ready')?.status;
}

export function startScheduler(args: StartSchedulerArgs): RunningScheduler {
  const opts = args.options ?? {};
  const schedulerName = opts.schedulerName ?? DEFAULT_SCHEDULER_NAME;
  const baseClock = args.clock ?? realClock;
  const clock: Clock = args.now ? { now: args.now, setTimer: (fn, ms) => baseClock.setTimer(fn, ms) } : baseClock;
  const onError = opts.onError ?? ((err: unknown) => console.error('[scheduler]', err instanceof Error ? err.message : err));
  const ownFactory = !args.informers;
  const factory = args.informers ?? new SharedInformerFactory(args.client, { clock: baseClock, onError });
  const pods = args.client.resource(PODS);
  const recorder = new EventRecorder(args.client, { component: schedulerName }, { clock, onError });
  const cache = new SchedulerCache();
  const queue = new SchedulingQueue(clock, {
    ...(opts.initialBackoffMs !== undefined ? { initialBackoffMs: opts.initialBackoffMs } : {}),
    ...(opts.maxBackoffMs !== undefined ? { maxBackoffMs: opts.maxBackoffMs } : {}),
  });
  const state: Scheduling = { profile: defaultProfile(opts.percentageOfNodesToScore ?? 0), nextStartIndex: 0, random: opts.random ?? Math.random };
  const stats: SchedulerStats = { attempts: 0, scheduled: 0, unschedulable: 0, bindErrors: 0 };
  const maxInflight = opts.maxInflightBindings ?? 256;
  const events = opts.events ?? true;
  let inflight = 0;
  const pending = new Set<Promise<void>>();
  let slotWaiter: (() => void) | undefined;
  let stopped = false;

  const podInformer: Informer<core.Pod> = factory.informer(PODS);
  const nodeInformer: Informer<core.Node> = factory.informer(NODES);

  podInformer.addEventHandler({
    onAdd(pod) {
      if (pod.spec?.nodeName) cache.setPod(pod);
      else if (needsScheduling(pod, schedulerName)) queue.add(podKey(pod), pod.spec?.priority ?? 0);
    },
    onUpdate(old, pod) {
      const key = podKey(pod);
      if (pod.spec?.nodeName) {
        cache.setPod(pod);
        if (!old.spec?.nodeName) queue.delete(key);
        if (isTerminal(pod) && !isTerminal(old)) queue.moveAllToActiveOrBackoff();
        return;
      }
      if (!needsScheduling(pod, schedulerName)) {
        queue.delete(key);
        return;
      }
      // Our own status writes change nothing the filters look at; spec or label changes may.
      const changed = JSON.stringify(old.spec) !== JSON.stringify(pod.spec) || JSON.stringify(old.metadata?.labels) !== JSON.stringify(pod.metadata?.labels);
      if (changed) queue.add(key, pod.spec?.priority ?? 0);
    },
    onDelete(obj) {
      const pod = finalState(obj);
      const key = podKey(pod);
      queue.delete(key);
      if (pod.spec?.nodeName) {
        cache.removePod(key);
        queue.moveAllToActiveOrBackoff();
      }
    },
  });
  nodeInformer.addEventHandler({
    onAdd(node) {
      cache.setNode(node);
      queue.moveAllToActiveOrBackoff();
    },
    onUpdate(old, node) {
      cache.setNode(node);
      if (nodeChangeMatters(old, node)) queue.moveAllToActiveOrBackoff();
    },
    onDelete(obj) {
      cache.removeNode(finalState(obj).metadata?.name ?? '');
    },
  });

  async function bind(pod: core.Pod, key: string, nodeName: string): Promise<void> {
    const ns = pod.metadata?.namespace ?? 'default';
    const name = pod.metadata?.name ?? '';
    const binding = {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name, namespace: ns, uid: pod.metadata?.uid },
      target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
    };
    try {
      await pods.createSubresource(ns, name, 'binding', binding);
      cache.finishBinding(key, clock.now());
      queue.done(key);
      stats.scheduled++;
      if (events) recorder.event(pod, 'Normal', 'Scheduled', `Successfully assigned ${ns}/${name} to ${nodeName}`);
    } catch (err) {
      stats.bindErrors++;
      cache.forget(key);
      if (err instanceof ApiError && (err.code === 404 || err.code === 409)) {
        // Gone, or already bound by someone else: the informer will tell us what is true.
        queue.done(key);
        const fresh = podInformer.cache.get(key);
        if (fresh && needsScheduling(fresh, schedulerName)) queue.add(key, fresh.spec?.priority ?? 0);
      } else {
        onError(new Error(`binding ${key} to ${nodeName}: ${err instanceof Error ? err.message : String(err)}`, { cause: err }));
        queue.retry(key);
      }
    }
  }

  async function recordUnschedulable(pod: core.Pod, message: string): Promise<void> {
    if (events) recorder.event(pod, 'Warning', 'FailedScheduling', message);
    const current = findCondition(pod.status?.conditions, 'PodScheduled');
    if (current?.status === 'False' && current.reason === 'Unschedulable' && current.message === message) return;
    const condition: core.PodCondition = {
      type: 'PodScheduled',
      status: 'False',
      reason: 'Unschedulable',
      message,
      lastProbeTime: null as unknown as undefined,
      lastTransitionTime: current?.status === 'False' && current.lastTransitionTime ? current.lastTransitionTime : rfc3339(clock.now()),
    };
    const others = (pod.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
    try {
      await pods.updateStatus(pod.metadata?.namespace, { ...pod, status: { ...pod.status, conditions: [...others, condition] } });
    } catch (err) {
      // Gone, or changed meanwhile (the next attempt writes it again).
      if (!(err instanceof ApiError && (err.code === 404 || err.code === 409))) onError(err);
    }
  }

  function scheduleOne(key: string): void {
    const pod = podInformer.cache.get(key);
    if (!pod || !needsScheduling(pod, schedulerName) || cache.isAssumed(key)) {
      queue.delete(key);
      return;
    }
    stats.attempts++;
    const info = makePodInfo(pod);
    const result = schedule(state, info, cache.nodeInfos());
    if (result.kind === 'scheduled') {
      cache.assume(info, result.node);
      inflight++;
      const binding = bind(pod, key, result.node);
      pending.add(binding);
      void binding.finally(() => {
        pending.delete(binding);
        inflight--;
        const w = slotWaiter;
        slotWaiter = undefined;
        w?.();
      });
    } else {
      stats.unschedulable++;
      queue.unschedulable(key);
      const write = recordUnschedulable(pod, result.message);
      pending.add(write);
      void write.finally(() => pending.delete(write));
    }
  }

  const yieldToIo = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  async function loop(): Promise<void> {
    let sinceYield = 0;
    for (;;) {
      const key = await queue.pop();
      if (key === undefined || stopped) return;
      try {
        scheduleOne(key);
      } catch (err) {
        onError(err);
        queue.retry(key);
      }
      while (inflight >= maxInflight && !stopped) await new Promise<void>((resolve) => (slotWaiter = resolve));
      // Let informer events and binding replies in now and then.
      if (++sinceYield >= 64) {
        sinceYield = 0;
        await yieldToIo();
      }
    }
  }

  let expiry: { cancel(): void } | undefined;
  const armExpiry = (): void => {
    expiry = baseClock.setTimer(() => {
      cache.expireAssumed(clock.now());
      if (!stopped) armExpiry();
    }, 5000);
  };

  const abort = new AbortController();
  factory.start();
  const synced = factory.waitForSync(abort.signal);
  const ready = synced.then(() => undefined);
  const running = synced.then((ok) => {
    if (stopped || !ok) return;
    armExpiry();
    return loop();
  });

  return {
    ready,
    stats: () => ({ ...stats }),
    async stop() {
      stopped = true;
      abort.abort();
      queue.close();
      expiry?.cancel();
      slotWaiter?.();
      await running.catch(onError);
      while (pending.size > 0) await Promise.allSettled([...pending]);
      await recorder.flush();
      if (ownFactory) await factory.stop();
    },
  };
}
