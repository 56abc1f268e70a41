// Content negotiation and body decoding, as Kubernetes' API server does them.
import type { IncomingMessage } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { ApiError, errors } from '../../api/errors.js';
import { decodeKubernetesProtobuf } from '../protobuf/index.js';
import type { CompleteBodyRequest } from './loopback.js';

export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export interface MediaRange {
  type: string; // e.g. 'application/json'
  params: Record<string, string>;
}

export function parseAccept(header: string | undefined): MediaRange[] {
  if (!header) return [];
  const out: MediaRange[] = [];
  for (const part of header.split(',')) {
    const [type, ...rest] = part.split(';');
    const t = type.trim().toLowerCase();
    if (!t) continue;
    const params: Record<string, string> = {};
    for (const p of rest) {
      const eq = p.indexOf('=');
      if (eq > 0) params[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim();
    }
    out.push({ type: t, params });
  }
  return out;
}

/** How a response body is to be written. */
export type OutputFormat =
  | { kind: 'json' }
  | { kind: 'yaml' }
  | { kind: 'table'; version: 'v1' | 'v1beta1' }
  | { kind: 'partial'; version: 'v1' | 'v1beta1' };

function isJsonish(t: string): boolean {
  return t === 'application/json' || t === '*/*' || t === 'application/*';
}

/**
 * Picks the first acceptable representation in the client's order. `as=Table` and
 * `as=PartialObjectMetadata[List]` are honoured for object endpoints when `allowTransform`.
 * Returns undefined when nothing offered is servable (406).
 */
export function negotiate(accept: string | undefined, allowTransform: boolean): OutputFormat | undefined {
  const ranges = parseAccept(accept);
  if (ranges.length === 0) return { kind: 'json' };
  for (const r of ranges) {
    if (r.params.as) {
      if (!allowTransform || r.type !== 'application/json') continue;
      const g = r.params.g;
      const v = r.params.v;
      if (g !== 'meta.k8s.io' || (v !== 'v1' && v !== 'v1beta1')) continue;
      if (r.params.as === 'Table') return { kind: 'table', version: v };
      if (r.params.as === 'PartialObjectMetadata' || r.params.as === 'PartialObjectMetadataList') return { kind: 'partial', version: v };
      continue;
    }
    if (isJsonish(r.type)) return { kind: 'json' };
    if (r.type === 'application/yaml') return { kind: 'yaml' };
  }
  return undefined;
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  // The in-process entrance hands over the whole body at once.
  const complete = (req as Partial<CompleteBodyRequest>).completeBody;
  if (complete !== undefined) return complete.length > MAX_BODY_BYTES ? Promise.reject(errors.tooLarge()) : Promise.resolve(complete);
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > MAX_BODY_BYTES) {
      req.resume();
      reject(errors.tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        failed = true;
        reject(errors.tooLarge());
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!failed) resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    });
    req.on('error', (e) => {
      if (!failed) reject(e);
    });
  });
}

export function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? 'application/json').split(';')[0].trim().toLowerCase();
}

/** Decodes a JSON or YAML body into a plain value; malformed input is a 400 Status. */
export function decodeBody(body: Buffer, contentType: string | undefined): unknown {
  const media = mediaTypeOf(contentType);
  const text = body.toString('utf8');
  if (media === 'application/yaml' || media === 'application/apply-patch+yaml') {
    try {
      return parseYaml(text);
    } catch (err) {
      throw errors.badRequest(`error converting YAML to JSON: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  if (media === 'application/json' || media.endsWith('+json') || media === '') {
    try {
      return JSON.parse(text);
    } catch (err) {
      throw errors.badRequest(`couldn't get version/kind; json parse error: ${(err as Error).message}`);
    }
  }
  if (media === 'application/vnd.kubernetes.protobuf') return decodeKubernetesProtobuf(body).object;
  throw new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf; got ${media}`,
  );
}
