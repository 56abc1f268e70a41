// Every built-in resource the API server serves, one definition per group-version.
import type { ResourceDefinition } from './types.js';
import { pods } from './pods.js';
import { replicaSets } from './replicasets.js';
import { deployments } from './deployments.js';
import { namespaces } from './namespaces.js';
import { nodes } from './nodes.js';

export function builtinResources(): ResourceDefinition[] {
  return [namespaces(), pods(), nodes(), replicaSets(), deployments()];
}
