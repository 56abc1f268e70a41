// Loads the schema catalog and patch engine (src/apiserver/schema, src/apiserver/patch).
import type { Logger } from '../api/log.js';
import { errors } from '../api/errors.js';
import type { PatchFn, SchemaCatalog } from '../apiserver/deps.js';
import type { ResourceDefinition } from '../apiserver/registry/types.js';

// Until both modules have landed they are loaded by name so the CLI builds without them;
// without a catalog the server answers OpenAPI requests with 404 and checks no fields.
const SCHEMA_MODULE = '../apiserver/schema/index.js';
const PATCH_MODULE = '../apiserver/patch/index.js';

export async function loadSchemaCatalog(resources: ResourceDefinition[], log: Logger): Promise<SchemaCatalog> {
  try {
    const mod = (await import(SCHEMA_MODULE)) as { createSchemaCatalog(r: ResourceDefinition[]): SchemaCatalog };
    return mod.createSchemaCatalog(resources);
  } catch (err) {
    log.warn('schema catalog not available; OpenAPI and field validation are off', { err: (err as Error).message });
    return {
      openapiV3Root: () => ({ paths: {} }),
      openapiV3: () => undefined,
      openapiV2: () => ({ swagger: '2.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths: {}, definitions: {} }),
      checkObject: () => ({ unknownFields: [], typeErrors: [] }),
    };
  }
}

export async function loadPatchEngine(log: Logger): Promise<PatchFn> {
  try {
    const mod = (await import(PATCH_MODULE)) as { applyPatch: PatchFn };
    return mod.applyPatch;
  } catch (err) {
    log.warn('patch engine not available; PATCH answers 415', { err: (err as Error).message });
    return (_kind, contentType) => {
      throw errors.unsupportedMediaType(contentType);
    };
  }
}
