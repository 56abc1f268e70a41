// The endpoints controller: keeps one Endpoints object per Service with a selector, named as the
// Service, listing the pods it selects (desired.ts). Handlers only enqueue Service keys; a Service
// that is gone has its Endpoints deleted, as Kubernetes' controller does.
import {
  ENDPOINTS, PODS, SERVICES, WorkQueue, finalState, objectKey, runController, splitKey,
  type Clock, type KubeClient, type ReconcileResult, type RunningController, type SharedInformerFactory,
} from '../../client/index.js';
import { isNotFound } from '../runtime/names.js';
import { TriggerTimeTracker, managesEndpoints, queueServicesOnChange, serviceSelects } from '../runtime/services.js';
import { planEndpoints } from './desired.js';

export interface EndpointsControllerOptions {
  client: KubeClient;
  factory: SharedInformerFactory;
  clock: Clock;
  workers?: number;
}

export class EndpointsController {
  readonly queue: WorkQueue<string>;
  private readonly services;
  private readonly pods;
  private readonly endpoints;
  private readonly api;
  private readonly triggerTimes = new TriggerTimeTracker();

  constructor(private readonly opts: EndpointsControllerOptions) {
    this.queue = new WorkQueue<string>({ name: 'endpoint', clock: opts.clock });
    this.services = opts.factory.informer(SERVICES);
    this.pods = opts.factory.informer(PODS);
    this.endpoints = opts.factory.informer(ENDPOINTS);
    this.api = opts.client.resource(ENDPOINTS);

    queueServicesOnChange(this.services, this.pods, this.queue);
    // Someone deleted our Endpoints: put them back.
    this.endpoints.addEventHandler({ onDelete: (ep) => this.queue.add(objectKey(finalState(ep))) });
  }

  start(): RunningController {
    const running = runController({
      name: 'endpoint-controller',
      queue: this.queue,
      workers: this.opts.workers ?? 5,
      waitFor: [this.services, this.pods, this.endpoints],
      reconcile: (key) => this.reconcile(key),
    });
    // Endpoints left behind by Services deleted while we were not running.
    void Promise.all([this.services.waitForSync(), this.endpoints.waitForSync()]).then(() => {
      for (const ep of this.endpoints.cache.list()) if (!this.services.cache.get(objectKey(ep))) this.queue.add(objectKey(ep));
    });
    return running;
  }


  async reconcile(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const svc = this.services.cache.get(key);
    if (!svc) {
      try {
        await this.api.delete(namespace, name);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      this.triggerTimes.forget(key);
      return;
    }
    if (!managesEndpoints(svc)) return;
    const pods = this.pods.cache.listInNamespace(namespace).filter((p) => serviceSelects(svc, p));
    // Computed on every sync, written or not, so the tracker knows what it has already seen.
    const triggerTime = this.triggerTimes.compute(key, svc, pods);
    const current = this.endpoints.cache.get(key);
    const next = planEndpoints(svc, pods, current, triggerTime);
    if (!next) return;
    if (current) {
      await this.api.update(namespace, next);
      return;
    }
    // AlreadyExists means our cache had not seen it yet: the retry reads the one that exists.
    await this.api.create(namespace, next);
  }
}
