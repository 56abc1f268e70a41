// The client toolkit: everything but the API server reaches the cluster through this.
export { KubeClient, ResourceClient, statusToError } from './client.js';
export type { ClientConfig, DirectResponse, DirectTransport, DeleteOptions, ListOptions, PatchType, Query, RequestOptions, Scale, WatchOptions, WatchStream, WriteOptions } from './client.js';
export { loadKubeconfig } from './kubeconfig.js';
export * from './resources.js';
export * from './cache.js';
export * from './clock.js';
export { DeletedFinalStateUnknown, Informer, finalState } from './informer.js';
export type { EventHandlers, InformerOptions, ListerWatcher } from './informer.js';
export { SharedInformerFactory } from './factory.js';
export type { SharedInformerFactoryOptions } from './factory.js';
export { ExponentialBackoffRateLimiter, WorkQueue } from './workqueue.js';
export type { QueueItem, RateLimiter, WorkQueueOptions } from './workqueue.js';
export { EXPECTATIONS_TTL_MS, Expectations, WrittenVersions } from './expectations.js';
export { EventRecorder, rfc3339 } from './events.js';
export type { EventType } from './events.js';
export { runController } from './controller.js';
export type { ControllerSpec, ReconcileResult, RunningController } from './controller.js';
