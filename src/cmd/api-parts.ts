// The schema catalog and patch engine the API server is built with.
import type { PatchFn, SchemaCatalog } from '../apiserver/deps.js';
import { applyPatch } from '../apiserver/patch/index.js';
import type { ResourceDefinition } from '../apiserver/registry/types.js';
import { createSchemaCatalog } from '../apiserver/schema/index.js';

export function schemaCatalog(resources: ResourceDefinition[]): SchemaCatalog {
  return createSchemaCatalog(resources);
}

export const patchEngine: PatchFn = applyPatch;
