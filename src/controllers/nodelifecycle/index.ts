export { startNodeLifecycleController } from './controller.js';
export type { NodeLifecycleController, NodeLifecycleOptions, StartNodeLifecycleArgs } from './controller.js';
