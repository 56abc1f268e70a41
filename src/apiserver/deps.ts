// What the generic API server needs from the schema catalog and the patch engine. These are
// the signatures of src/apiserver/schema and src/apiserver/patch; the composition root passes
// the real implementations in, so the server never imports them directly.
import type { FieldCause } from '../api/errors.js';
import type { KubeObject } from '../api/types.js';

export interface SchemaCatalog {
  openapiV3Root(): { paths: Record<string, { serverRelativeURL: string }> };
  /** gvPath is 'api/v1' or 'apis/apps/v1'. */
  openapiV3(gvPath: string): object | undefined;
  openapiV2(): object;
  /** Unknown fields as paths ('spec.containres') and fields of the wrong type. */
  checkObject(apiVersion: string, kind: string, obj: unknown): { unknownFields: string[]; typeErrors: FieldCause[] };
}

/** Applies a JSON / merge / strategic-merge patch; throws ApiError on a bad patch. */
export type PatchFn = (kind: string, contentType: string, original: KubeObject, patch: unknown) => KubeObject;
