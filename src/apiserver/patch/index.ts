// PATCH bodies for every content type kubectl and client libraries send.
import { ApiError, errors } from '../../api/errors.js';
import type { KubeObject } from '../../api/types.js';
import { parse as parseYAML } from 'yaml';
import { definitions, kindDefinition } from '../schema/definitions.js';
import { applyJsonPatch } from './jsonpatch.js';
import { applyMergePatch } from './mergepatch.js';
import { applyStrategicMergePatch } from './strategic.js';

/** Server-side apply's body: the full configuration a manager wants, in YAML (JSON is YAML). */
export const APPLY_PATCH_TYPE = 'application/apply-patch+yaml';

export const PATCH_CONTENT_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  APPLY_PATCH_TYPE,
] as const;

function definitionFor(kind: string, apiVersion: string | undefined): string | undefined {
  if (apiVersion) {
    const d = kindDefinition(apiVersion, kind);
    if (d) return d;
  }
  for (const [gvk, def] of definitions().byGVK) if (gvk.endsWith(`/${kind}`)) return def;
  return undefined;
}

function parseBody(patch: unknown, yaml: boolean): unknown {
  const text = typeof patch === 'string' ? patch : patch instanceof Uint8Array ? Buffer.from(patch).toString('utf8') : undefined;
  if (text === undefined) return patch;
  try {
    return yaml ? parseYAML(text) : JSON.parse(text);
  } catch (e) {
    throw errors.badRequest(`error decoding patch: ${(e as Error).message}`);
  }
}

/**
 * Applies a PATCH body to the stored object of `kind` ("Pod", "Deployment", "Scale"...).
 * The body may be parsed JSON or the raw text. Throws ApiError 400 for a malformed patch,
 * 415 for an unknown content type, 422 when a JSON patch cannot be applied (incl. failed tests).
 * Server-side apply bodies are merged like a strategic merge patch (no field ownership).
 */
export function applyPatch(kind: string, contentType: string, original: KubeObject, patch: unknown): KubeObject {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  let result: unknown;
  switch (type) {
    case 'application/json-patch+json':
      result = applyJsonPatch(original, parseBody(patch, false));
      break;
    case 'application/merge-patch+json': {
      const body = parseBody(patch, false);
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw errors.badRequest(`json: cannot unmarshal ${Array.isArray(body) ? 'array' : typeof body} into Go value of type map[string]interface {}`);
      }
      result = applyMergePatch(original, body);
      break;
    }
    case 'application/strategic-merge-patch+json':
      result = applyStrategicMergePatch(original, parseBody(patch, false), definitionFor(kind, original.apiVersion));
      break;
    case APPLY_PATCH_TYPE:
      result = applyStrategicMergePatch(original, parseBody(patch, true), definitionFor(kind, original.apiVersion));
      break;
    default:
      throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${PATCH_CONTENT_TYPES.join(', ')}`);
  }
  if (typeof result !== 'object' || result === null || Array.isArray(result)) {
    throw new ApiError(422, 'Invalid', `the patched object is not a JSON object`);
  }
  return result as KubeObject;
}
