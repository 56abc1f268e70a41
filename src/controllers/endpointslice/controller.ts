// The endpointslice controller: for every Service with a selector, the EndpointSlices (labelled
// kubernetes.io/service-name and managed-by endpointslice-controller.k8s.io, owned by the
// Service) that list its pods, planned by reconciler.ts. Slices of a deleted Service go with it
// through their owner reference (the garbage collector).
import type { discovery } from '../../api/types.js';
import {
  PODS, SERVICES, WorkQueue, WrittenVersions, finalState, runController, splitKey,
  type Clock, type KubeClient, type ReconcileResult, type RunningController, type SharedInformerFactory,
} from '../../client/index.js';
import { isNotFound } from '../runtime/names.js';
import { ENDPOINTSLICES, TriggerTimeTracker, managesEndpoints, queueServicesOnChange, serviceSelects } from '../runtime/services.js';
import { CONTROLLER_NAME, DEFAULT_MAX_ENDPOINTS_PER_SLICE, MANAGED_BY_LABEL, SERVICE_NAME_LABEL, planSlices } from './reconciler.js';

type EndpointSlice = discovery.EndpointSlice;

/** How soon to look again when our own writes are not in the cache yet. */
const CACHE_LAG_RETRY_MS = 100;

export interface EndpointSliceControllerOptions {
  client: KubeClient;
  factory: SharedInformerFactory;
  clock: Clock;
  workers?: number;
  maxEndpointsPerSlice?: number;
}

export class EndpointSliceController {
  readonly queue: WorkQueue<string>;
  private readonly services;
  private readonly pods;
  private readonly slices;
  private readonly api;
  /** Slices we wrote that the cache has not caught up with: deciding before then would duplicate them. */
  private readonly written: WrittenVersions;
  private readonly triggerTimes = new TriggerTimeTracker();

  constructor(private readonly opts: EndpointSliceControllerOptions) {
    this.queue = new WorkQueue<string>({ name: 'endpointslice', clock: opts.clock });
    this.written = new WrittenVersions({ clock: opts.clock });
    this.services = opts.factory.informer(SERVICES);
    this.pods = opts.factory.informer(PODS);
    this.slices = opts.factory.informer(ENDPOINTSLICES);
    this.api = opts.client.resource(ENDPOINTSLICES);

    queueServicesOnChange(this.services, this.pods, this.queue);
    const bySlice = (slice: EndpointSlice) => {
      const labels = slice.metadata?.labels ?? {};
      if (labels[MANAGED_BY_LABEL] === CONTROLLER_NAME && labels[SERVICE_NAME_LABEL]) this.queue.add(`${slice.metadata?.namespace}/${labels[SERVICE_NAME_LABEL]}`);
    };
    this.slices.addEventHandler({
      onAdd: bySlice,
      onUpdate: (_old, s) => bySlice(s),
      onDelete: (s) => bySlice(finalState(s)),
    });
  }

  start(): RunningController {
    return runController({
      name: 'endpointslice-controller',
      queue: this.queue,
      workers: this.opts.workers ?? 5,
      waitFor: [this.services, this.pods, this.slices],
      reconcile: (key) => this.reconcile(key),
    });
  }


  /** The slices this controller manages for the Service `name` in `namespace`, from the cache. */
  private managedSlices(namespace: string, name: string): EndpointSlice[] {
    return this.slices.cache
      .listInNamespace(namespace)
      .filter((s) => s.metadata?.labels?.[SERVICE_NAME_LABEL] === name && s.metadata?.labels?.[MANAGED_BY_LABEL] === CONTROLLER_NAME);
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const svc = this.services.cache.get(key);
    // A deleted Service's slices are the garbage collector's (they are owned by it).
    if (!svc || !managesEndpoints(svc)) {
      if (!svc) this.triggerTimes.forget(key);
      return;
    }
    const existing = this.managedSlices(namespace, name);
    const cached = new Map(existing.map((s) => [s.metadata?.uid ?? '', s.metadata?.resourceVersion]));
    if (this.written.pending(key, (uid) => cached.get(uid)).length > 0) return { requeueAfterMs: CACHE_LAG_RETRY_MS };
    // Slices of an earlier Service of the same name are not this one's.
    const mine = existing.filter((s) => (s.metadata?.ownerReferences ?? []).some((r) => r.uid === svc.metadata?.uid));
    const pods = this.pods.cache.listInNamespace(namespace).filter((p) => serviceSelects(svc, p));
    // Computed on every sync, written or not, so the tracker knows what it has already seen.
    const triggerTime = this.triggerTimes.compute(key, svc, pods);
    const plan = planSlices(svc, pods, mine, this.opts.maxEndpointsPerSlice ?? DEFAULT_MAX_ENDPOINTS_PER_SLICE, triggerTime);
    for (const s of plan.delete) {
      try {
        await this.api.delete(namespace, s.metadata?.name ?? '', { preconditions: { uid: s.metadata?.uid ?? '' } });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    for (const s of plan.update) this.written.written(key, await this.api.update(namespace, s));
    for (const s of plan.create) this.written.written(key, await this.api.create(namespace, s));
    return;
  }
}
