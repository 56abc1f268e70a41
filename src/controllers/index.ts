// The controller manager: one shared informer factory, one event recorder per
// controller (the "From" column of kubectl describe), the controllers started.
// Composition roots (`kujira up`, a standalone process) call startControllerManager.
import { EventRecorder, SharedInformerFactory, realClock, type Clock, type KubeClient, type ResourceType, type RunningController } from '../client/index.js';
import { DeploymentController } from './deployment/controller.js';
import { DEFAULT_GC_RESOURCES, GarbageCollector } from './garbagecollector/controller.js';
import { PodGarbageCollector, type PodGCOptions } from './podgc/controller.js';
import { ReplicaSetController } from './replicaset/controller.js';
import { EndpointsController } from './endpoint/controller.js';
import { EndpointSliceController } from './endpointslice/controller.js';

export type ControllerName = 'replicaset' | 'deployment' | 'garbagecollector' | 'podgc' | 'endpoint' | 'endpointslice';

export interface ControllerManagerOptions {
  /** Which controllers to run (default: all). */
  controllers?: ControllerName[];
  /** Concurrent reconciles per controller (Kubernetes' defaults: 5 for ReplicaSets and Deployments, 20 for GC; ours: 40 for GC, as we do not throttle). */
  workers?: Partial<Record<ControllerName, number>>;
  /** Share informers with other in-process components; otherwise one is made and started here. */
  factory?: SharedInformerFactory;
  /** Resources the garbage collector watches. */
  gcResources?: ResourceType[];
  /** Full clock injection (timers too); `now` alone only overrides the time read. */
  clock?: Clock;
  /** The pod garbage collector's threshold and timings. */
  podGC?: PodGCOptions;
  /** Event source host (Kubernetes leaves it empty for the controller manager). */
  host?: string;
}

export interface ControllerManager {
  factory: SharedInformerFactory;
  stop(): Promise<void>;
}

export function startControllerManager(args: { client: KubeClient; now?: () => number; options?: ControllerManagerOptions }): ControllerManager {
  const options = args.options ?? {};
  const clock: Clock = options.clock ?? (args.now ? { now: args.now, setTimer: realClock.setTimer } : realClock);
  const ownFactory = !options.factory;
  const factory = options.factory ?? new SharedInformerFactory(args.client, { clock });
  const enabled = new Set<ControllerName>(options.controllers ?? ['replicaset', 'deployment', 'garbagecollector', 'podgc', 'endpoint', 'endpointslice']);
  const recorder = (component: string) => new EventRecorder(args.client, options.host ? { component, host: options.host } : { component }, { clock });
  const recorders: EventRecorder[] = [];
  const running: RunningController[] = [];

  if (enabled.has('replicaset')) {
    const r = recorder('replicaset-controller');
    recorders.push(r);
    running.push(new ReplicaSetController({ client: args.client, factory, recorder: r, clock, workers: options.workers?.replicaset }).start());
  }
  if (enabled.has('deployment')) {
    const r = recorder('deployment-controller');
    recorders.push(r);
    running.push(new DeploymentController({ client: args.client, factory, recorder: r, clock, workers: options.workers?.deployment }).start());
  }
  if (enabled.has('garbagecollector')) {
    running.push(
      new GarbageCollector({ client: args.client, factory, clock, workers: options.workers?.garbagecollector ?? 40, resources: options.gcResources ?? DEFAULT_GC_RESOURCES }).start(),
    );
  }
  if (enabled.has('podgc')) {
    running.push(new PodGarbageCollector({ client: args.client, factory, clock, options: options.podGC }).start());
  }
  if (enabled.has('endpoint')) {
    running.push(new EndpointsController({ client: args.client, factory, clock, workers: options.workers?.endpoint }).start());
  }
  if (enabled.has('endpointslice')) {
    running.push(new EndpointSliceController({ client: args.client, factory, clock, workers: options.workers?.endpointslice }).start());
  }
  factory.start();

  return {
    factory,
    async stop() {
      await Promise.all(running.map((c) => c.stop()));
      await Promise.all(recorders.map((r) => r.flush()));
      if (ownFactory) await factory.stop();
    },
  };
}
