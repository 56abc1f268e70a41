// The schema catalog the API server asks for OpenAPI documents and for strict field checks.
import { compareStrings } from '../../api/compare.js';
import type { FieldCause } from '../../api/errors.js';
import type { ResourceDefinition } from '../registry/types.js';
import { checkObject } from './check.js';
import { buildV2, buildV3, documentHash, gvPath } from './openapi.js';

export { strictDecodingMessage, typeErrorMessage } from './check.js';

export interface SchemaCatalog {
  /** GET /openapi/v3: one entry per group-version, e.g. "apis/apps/v1" → /openapi/v3/apis/apps/v1?hash=... */
  openapiV3Root(): { paths: Record<string, { serverRelativeURL: string }> };
  /** GET /openapi/v3/<gvPath>: the OpenAPI 3.0 document, or undefined when the group-version is not served. */
  openapiV3(gvPath: string): object | undefined;
  /** GET /openapi/v2 (JSON swagger 2.0). */
  openapiV2(): object;
  /**
   * Unknown fields (dotted paths, e.g. "spec.containres") and wrong JSON types in a request body.
   * Strict mode answers 400 `strict decoding error: unknown field "..."` (see strictDecodingMessage);
   * type errors answer 400 with typeErrorMessage(kind, version, typeErrors[0]).
   */
  checkObject(apiVersion: string, kind: string, obj: unknown): { unknownFields: string[]; typeErrors: FieldCause[] };
}

export function createSchemaCatalog(resources: ResourceDefinition[]): SchemaCatalog {
  const groupVersions = new Map<string, { group: string; version: string }>();
  for (const r of resources) groupVersions.set(gvPath(r.group, r.version), { group: r.group, version: r.version });
  const v3Cache = new Map<string, object>();
  let root: { paths: Record<string, { serverRelativeURL: string }> } | undefined;
  let v2: object | undefined;
  return {
    openapiV3Root() {
      if (!root) {
        const paths: Record<string, { serverRelativeURL: string }> = {};
        for (const [p, gv] of [...groupVersions].sort(([a], [b]) => compareStrings(a, b))) {
          paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${documentHash(resources, gv.group, gv.version)}` };
        }
        root = { paths };
      }
      return root;
    },
    openapiV3(path) {
      const key = path.replace(/^\/+|\/+$/g, '');
      const gv = groupVersions.get(key);
      if (!gv) return undefined;
      let doc = v3Cache.get(key);
      if (!doc) {
        doc = buildV3(resources, gv.group, gv.version);
        v3Cache.set(key, doc);
      }
      return doc;
    },
    openapiV2() {
      v2 ??= buildV2(resources);
      return v2;
    },
    checkObject,
  };
}
