// Every built-in resource the API server serves, one definition per group-version.
import type { ResourceDefinition } from './types.js';
import { pods, type PodAdmissionOptions } from './pods.js';
import { replicaSets } from './replicasets.js';
import { deployments } from './deployments.js';
import { namespaces } from './namespaces.js';
import { nodes } from './nodes.js';
import { coreEvents, eventsV1Events } from './events.js';
import { hpaV1, hpaV2 } from './hpa.js';
import { leases } from './leases.js';
import { services } from './services.js';
import { endpointSlices, endpoints } from './endpoints.js';

export function builtinResources(options: { pods?: PodAdmissionOptions } = {}): ResourceDefinition[] {
  return [namespaces(), pods(options.pods), nodes(), coreEvents(), replicaSets(), deployments(), hpaV1(), hpaV2(), leases(), eventsV1Events(), services(), endpoints(), endpointSlices()];
}
