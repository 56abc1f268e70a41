// Pod garbage collector (Kubernetes' PodGC): every period, from the shared informers'
// caches, force-deletes pods bound to nodes that are gone (after a quarantine and a
// fresh GET of the node), pods deleted before they were scheduled, and the oldest finished
// pods beyond --terminated-pod-gc-threshold. Decisions are in plan.ts.
import { ApiError } from '../../api/errors.js';
import type { core } from '../../api/types.js';
import { type Clock, type Informer, type KubeClient, NODES, PODS, rfc3339, type SharedInformerFactory } from '../../client/index.js';
import {
  DEFAULT_GC_CHECK_PERIOD_MS,
  DEFAULT_QUARANTINE_MS,
  DEFAULT_TERMINATED_POD_GC_THRESHOLD,
  missingNodes,
  orphanedPodStatus,
  quarantineOver,
  terminatedPodsToDelete,
  unscheduledTerminatingPods,
} from './plan.js';

export interface PodGCOptions {
  /** --terminated-pod-gc-threshold (default 12500; 0 or less: never delete finished pods). */
  terminatedPodThreshold?: number;
  /** How often a pass runs (default 20s). */
  periodMs?: number;
  /** How long a node must stay missing before its pods go (default 40s). */
  quarantineMs?: number;
}

export interface PodGCArgs {
  client: KubeClient;
  factory: SharedInformerFactory;
  clock: Clock;
  options?: PodGCOptions;
  log?(line: string): void;
}

const gone = (err: unknown) => err instanceof ApiError && (err.code === 404 || err.code === 409);

export class PodGarbageCollector {
  private readonly pods: Informer<core.Pod>;
  private readonly nodes: Informer<core.Node>;
  private readonly podsApi;
  private readonly nodesApi;
  private readonly threshold: number;
  private readonly periodMs: number;
  private readonly quarantineMs: number;
  private readonly log: (line: string) => void;
  /** Node name → when its pods were first seen bound to it while it was missing. */
  private quarantine = new Map<string, number>();
  private timer?: { cancel(): void };
  private running?: Promise<void>;
  private stopped = false;

  constructor(private readonly args: PodGCArgs) {
    this.pods = args.factory.informer(PODS);
    this.nodes = args.factory.informer(NODES);
    this.podsApi = args.client.resource(PODS);
    this.nodesApi = args.client.resource(NODES);
    this.threshold = args.options?.terminatedPodThreshold ?? DEFAULT_TERMINATED_POD_GC_THRESHOLD;
    this.periodMs = args.options?.periodMs ?? DEFAULT_GC_CHECK_PERIOD_MS;
    this.quarantineMs = args.options?.quarantineMs ?? DEFAULT_QUARANTINE_MS;
    this.log = args.log ?? ((line) => console.error(`[pod-garbage-collector] ${line}`));
  }

  start(): { stop(): Promise<void>; done: Promise<void> } {
    const abort = new AbortController();
    const done = Promise.all([this.pods.waitForSync(abort.signal), this.nodes.waitForSync(abort.signal)]).then((ok) => {
      if (ok.every(Boolean) && !this.stopped) this.schedule();
    });
    return {
      done,
      stop: async () => {
        this.stopped = true;
        abort.abort();
        this.timer?.cancel();
        await done;
        await this.running;
      },
    };
  }

  private schedule(): void {
    this.timer = this.args.clock.setTimer(() => {
      this.running = this.gc()
        .catch((err: unknown) => this.log(`pass failed: ${err instanceof Error ? err.message : String(err)}`))
        .finally(() => {
          this.running = undefined;
          if (!this.stopped) this.schedule();
        });
    }, this.periodMs);
  }

  /** One pass; exported for tests that drive the clock themselves. */
  async gc(): Promise<void> {
    const pods = this.pods.cache.list();
    for (const p of terminatedPodsToDelete(pods, this.threshold)) await this.forceDelete(p);
    await this.gcOrphaned(pods);
    for (const p of unscheduledTerminatingPods(pods)) await this.forceDelete(p);
  }

  private async gcOrphaned(pods: core.Pod[]): Promise<void> {
    const now = this.args.clock.now();
    this.quarantine = missingNodes(pods, (name) => this.nodes.cache.get(name) !== undefined, this.quarantine, now);
    const deleted = new Set<string>();
    for (const name of quarantineOver(this.quarantine, now, this.quarantineMs)) {
      // The cache may lag behind a node that was re-created: ask the API itself.
      try {
        await this.nodesApi.get(undefined, name);
        this.quarantine.delete(name);
      } catch (err) {
        if (err instanceof ApiError && err.code === 404) deleted.add(name);
        else throw err;
      }
    }
    if (deleted.size === 0) return;
    for (const pod of pods) {
      if (!pod.spec?.nodeName || !deleted.has(pod.spec.nodeName)) continue;
      this.log(`found orphaned pod ${pod.metadata?.namespace}/${pod.metadata?.name} assigned to the node ${pod.spec.nodeName}, deleting`);
      try {
        if (!pod.metadata?.deletionTimestamp) await this.podsApi.updateStatus(pod.metadata?.namespace, { ...pod, status: orphanedPodStatus(pod, rfc3339(now)) });
      } catch (err) {
        if (!gone(err)) throw err;
      }
      await this.forceDelete(pod);
    }
    for (const name of deleted) this.quarantine.delete(name);
  }

  private async forceDelete(pod: core.Pod): Promise<void> {
    try {
      await this.podsApi.delete(pod.metadata?.namespace, pod.metadata?.name ?? '', { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata?.uid ?? '' } });
    } catch (err) {
      if (!gone(err)) throw err;
    }
  }
}
