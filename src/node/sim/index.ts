export { startSimulatedNodes, DEFAULT_CAPACITY, NODE_LEASE_NAMESPACE } from './nodes.js';
export type { ContainerUsage, NodeCapacity, SimulatedNodeOptions, SimulatedNodes, StartSimulatedNodesArgs } from './nodes.js';
export * from './annotations.js';
