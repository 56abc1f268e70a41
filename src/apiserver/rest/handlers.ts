// HTTP ↔ ObjectService for resource URLs: verb from method and path, query options, content
// negotiation (JSON, YAML, Table, PartialObjectMetadata), Status errors and Warning headers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, errors, field } from '../../api/errors.js';
import type { KubeObject } from '../../api/types.js';
import type { Logger } from '../../api/log.js';
import { decodeBody, mediaTypeOf, negotiate, readBody, type OutputFormat } from '../http/media.js';
import type { ResourceRequest } from '../http/requestinfo.js';
import { sendError, sendJson, sendObject, type BodyFormat } from '../http/respond.js';
import type { ResourceIndex, ServedResource } from '../resources.js';
import { partialMetadata, parseIncludeObject, scaleTable, toTable } from '../tables.js';
import { runWatch, type WatchFormat, type WatchSettings } from '../watch/stream.js';
import type { DeleteOptions, FieldValidation, ListQuery, ObjectService, WriteOptions, WriteOutcome } from './objects.js';
import type { PodLogProxy } from '../logs.js';
import { APPLY_PATCH_TYPE, PATCH_CONTENT_TYPES } from '../patch/index.js';

const PATCH_TYPES = new Set<string>(PATCH_CONTENT_TYPES);

export interface ResourceHandlerDeps {
  index: ResourceIndex;
  service: ObjectService;
  watch: WatchSettings;
  log: Logger;
  logs?: PodLogProxy;
}

function boolParam(v: string | null): boolean {
  return v === 'true' || v === '1';
}

function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw errors.badRequest(`invalid value for ${name}: ${v}`);
  return n;
}

function writeOptions(q: URLSearchParams): WriteOptions {
  const dryRun = q.getAll('dryRun');
  for (const d of dryRun) if (d !== 'All') throw errors.badRequest(`dryRun: Unsupported value: "${d}": supported values: "All"`);
  const fv = q.get('fieldValidation') ?? 'Warn';
  if (fv !== 'Strict' && fv !== 'Warn' && fv !== 'Ignore') {
    throw errors.badRequest(`fieldValidation: Unsupported value: "${fv}": supported values: "Ignore", "Strict", "Warn"`);
  }
  return { dryRun: dryRun.length > 0, fieldValidation: fv as FieldValidation };
}

function listQuery(q: URLSearchParams): ListQuery {
  return {
    labelSelector: q.get('labelSelector') ?? undefined,
    fieldSelector: q.get('fieldSelector') ?? undefined,
    limit: intParam(q, 'limit'),
    continue: q.get('continue') ?? undefined,
    resourceVersion: q.get('resourceVersion') ?? undefined,
    resourceVersionMatch: q.get('resourceVersionMatch') ?? undefined,
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deleteOptions(q: URLSearchParams, body: unknown): DeleteOptions {
  const b = isRecord(body) ? body : {};
  const policy = (b.propagationPolicy as string | undefined) ?? q.get('propagationPolicy') ?? undefined;
  if (policy !== undefined && policy !== 'Orphan' && policy !== 'Background' && policy !== 'Foreground') {
    throw errors.invalid('meta.k8s.io', 'DeleteOptions', '', [
      { type: 'FieldValueNotSupported', field: 'propagationPolicy', message: `Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan", "nil"` },
    ]);
  }
  const grace = typeof b.gracePeriodSeconds === 'number' ? b.gracePeriodSeconds : intParam(q, 'gracePeriodSeconds');
  const orphanQ = q.get('orphanDependents');
  const orphan = typeof b.orphanDependents === 'boolean' ? b.orphanDependents : orphanQ === null ? undefined : boolParam(orphanQ);
  const dryRun = Array.isArray(b.dryRun) ? (b.dryRun as string[]) : q.getAll('dryRun');
  const pre = isRecord(b.preconditions) ? (b.preconditions as { uid?: string; resourceVersion?: string }) : undefined;
  return { gracePeriodSeconds: grace, propagationPolicy: policy, orphanDependents: orphan, preconditions: pre, dryRun: dryRun.includes('All') };
}

export class ResourceHandler {
  /** Open watch responses, ended cleanly at shutdown so clients re-watch from their resourceVersion. */
  private readonly watches = new Set<ServerResponse>();

  constructor(private readonly d: ResourceHandlerDeps) {}

  endWatches(): void {
    for (const res of this.watches) res.end();
    this.watches.clear();
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: { searchParams: URLSearchParams }, rr: ResourceRequest): Promise<void> {
    const { index, service } = this.d;
    const r = index.lookup(rr.group, rr.version, rr.resource);
    if (!r) throw notFoundPath();
    const ns = r.def.namespaced ? rr.namespace : undefined;
    if (!r.def.namespaced && rr.namespace) throw notFoundPath();
    const q = url.searchParams;
    const method = req.method ?? 'GET';
    const sub = rr.subresource;
    const isWatch = rr.watchPath || boolParam(q.get('watch'));

    if (sub !== undefined) return this.subresource(req, res, r, ns, rr.name!, sub, q);

    if (method === 'GET') {
      const format = negotiate(req.headers.accept, true);
      if (!format) throw notAcceptable();
      if (isWatch) return this.watch(res, r, ns, rr.name, q, format);
      if (rr.name) {
        if (format.kind === 'json') return sendJson(res, 200, await service.getJson(r, ns, rr.name));
        const obj = await service.get(r, ns, rr.name);
        return this.sendOne(res, r, obj, format, q);
      }
      const listed = await service.list(r, ns, listQuery(q), format.kind === 'json');
      const listMeta = { resourceVersion: String(listed.revision), continue: listed.continue, remainingItemCount: listed.remainingItemCount };
      if (listed.json) return this.sendJsonList(res, r, listed.json, listMeta);
      return this.sendList(res, r, listed.items, listMeta, format, q);
    }

    const format = negotiate(req.headers.accept, false) ?? { kind: 'json' as const };
    const bodyFormat = format.kind === 'yaml' ? 'yaml' : 'json';
    if (method === 'POST') {
      if (rr.name) throw errors.methodNotAllowed(`the server does not allow this method on the requested resource`);
      if (r.def.namespaced && !ns) throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
      const opts = writeOptions(q);
      const body = decodeBody(await readBody(req), req.headers['content-type']);
      const out = await service.create(r, ns, body, opts);
      return sendOutcome(res, out, bodyFormat);
    }
    if (method === 'PUT') {
      if (!rr.name) throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
      const opts = writeOptions(q);
      const body = decodeBody(await readBody(req), req.headers['content-type']);
      const out = await service.update(r, ns, rr.name, body, opts);
      return sendOutcome(res, out, bodyFormat);
    }
    if (method === 'PATCH') {
      if (!rr.name) throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
      const { contentType, patch } = await this.readPatch(req, q);
      const out =
        contentType === APPLY_PATCH_TYPE
          ? await this.serverSideApply(r, ns, rr.name, patch, writeOptions(q))
          : await service.patch(r, ns, rr.name, contentType, patch, writeOptions(q));
      return sendOutcome(res, out, bodyFormat);
    }
    if (method === 'DELETE') {
      const raw = await readBody(req);
      const body = raw.length > 0 ? decodeBody(raw, req.headers['content-type']) : undefined;
      const opts = deleteOptions(q, body);
      if (rr.name) {
        const out = await service.delete(r, ns, rr.name, opts);
        return sendObject(res, out.code, out.obj, bodyFormat);
      }
      const out = await service.deleteCollection(r, ns, listQuery(q), opts);
      return sendObject(res, 200, { kind: r.def.listKind, apiVersion: r.apiVersion, metadata: { resourceVersion: String(out.revision) }, items: out.items }, bodyFormat);
    }
    throw errors.methodNotAllowed(`the server does not allow this method on the requested resource`);
  }

  private async readPatch(req: IncomingMessage, q: URLSearchParams): Promise<{ contentType: string; patch: unknown }> {
    const contentType = mediaTypeOf(req.headers['content-type']);
    if (!PATCH_TYPES.has(contentType)) {
      throw new ApiError(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: ${PATCH_CONTENT_TYPES.join(', ')}`,
      );
    }
    const apply = contentType === APPLY_PATCH_TYPE;
    // Server-side apply records who applied: Kubernetes refuses an apply without a manager.
    if (apply && !q.get('fieldManager')) throw errors.invalid('meta.k8s.io', 'PatchOptions', '', [field.required('fieldManager', 'Required value: is required for apply patch')]);
    const patch = decodeBody(await readBody(req), apply ? contentType : 'application/json');
    return { contentType, patch };
  }

  /**
   * Server-side apply (`kubectl apply --server-side`): the applied configuration is merged into the
   * live object, and an object that does not exist yet is created from it (201), as Kubernetes does.
   * Field ownership (managedFields, conflicts, removal of fields a manager stopped applying) is not kept.
   */
  private async serverSideApply(r: ServedResource, ns: string | undefined, name: string, config: unknown, opts: WriteOptions) {
    const { service } = this.d;
    for (let attempt = 0; ; attempt++) {
      try {
        return await service.patch(r, ns, name, APPLY_PATCH_TYPE, config, opts);
      } catch (err) {
        const missing = err instanceof ApiError && err.code === 404 && err.details?.name === name && err.details?.kind === r.def.resource;
        if (!missing) throw err;
      }
      if (!isRecord(config)) throw errors.badRequest('error decoding patch: the applied configuration is not an object');
      const obj = structuredClone(config);
      const meta = isRecord(obj.metadata) ? obj.metadata : (obj.metadata = {});
      if (meta.name === undefined) meta.name = name;
      if (meta.name !== name) throw errors.badRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`);
      try {
        return await service.create(r, ns, obj, opts);
      } catch (err) {
        // Someone created it between our patch and create: apply onto theirs.
        if (!(err instanceof ApiError && err.code === 409 && err.reason === 'AlreadyExists') || attempt > 0) throw err;
      }
    }
  }

  private async subresource(req: IncomingMessage, res: ServerResponse, r: ServedResource, ns: string | undefined, name: string, sub: string, q: URLSearchParams) {
    const { service } = this.d;
    const method = req.method ?? 'GET';
    const format = negotiate(req.headers.accept, false) ?? { kind: 'json' as const };
    const bodyFormat = format.kind === 'yaml' ? 'yaml' : 'json';
    if (sub === 'status' && r.def.subresources.status) {
      // `kubectl get --subresource=status` asks for a Table: the resource's own columns.
      if (method === 'GET') return this.sendOne(res, r, await service.get(r, ns, name), negotiate(req.headers.accept, true) ?? format, q);
      if (method === 'PUT') {
        const body = decodeBody(await readBody(req), req.headers['content-type']);
        const out = await service.update(r, ns, name, body, writeOptions(q), 'status');
        return sendOutcome(res, out, bodyFormat);
      }
      if (method === 'PATCH') {
        const { contentType, patch } = await this.readPatch(req, q);
        const out = await service.patch(r, ns, name, contentType, patch, writeOptions(q), 'status');
        return sendOutcome(res, out, bodyFormat);
      }
      throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
    }
    if (sub === 'scale' && r.def.subresources.scale) {
      if (method === 'GET') {
        const scale = service.scaleOf(r, await service.get(r, ns, name));
        const wanted = negotiate(req.headers.accept, true) ?? format;
        if (wanted.kind === 'table') {
          const table = scaleTable(scale, parseIncludeObject(q.get('includeObject')), service.ctx.now(), wanted.version);
          return sendObject(res, 200, table, 'json', { contentType: `application/json;as=Table;v=${wanted.version};g=meta.k8s.io` });
        }
        if (wanted.kind === 'partial') return sendObject(res, 200, partialMetadata(scale, wanted.version));
        return sendObject(res, 200, scale, bodyFormat);
      }
      if (method === 'PUT') {
        const body = decodeBody(await readBody(req), req.headers['content-type']);
        const out = await service.updateScale(r, ns, name, body, writeOptions(q));
        return sendObject(res, 200, out.obj, bodyFormat);
      }
      if (method === 'PATCH') {
        const { contentType, patch } = await this.readPatch(req, q);
        const out = await service.patchScale(r, ns, name, contentType, patch, writeOptions(q));
        return sendObject(res, 200, out.obj, bodyFormat);
      }
      throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
    }
    if (sub === 'binding' && r.def.subresources.binding) {
      if (method !== 'POST') throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
      const body = decodeBody(await readBody(req), req.headers['content-type']);
      await service.bind(r, ns, name, body, writeOptions(q));
      return sendObject(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 }, bodyFormat);
    }
    if (sub === 'eviction' && r.def.subresources.eviction) {
      // policy/v1 Eviction. No PodDisruptionBudgets are served, so an eviction is a delete with
      // the Eviction's deleteOptions (kubectl drain then prints "evicted" instead of "deleted").
      if (method !== 'POST') throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
      const body = decodeBody(await readBody(req), req.headers['content-type']);
      if (isRecord(body) && isRecord(body.metadata) && body.metadata.name !== undefined && body.metadata.name !== name) {
        throw errors.badRequest(`name in URL does not match name in Eviction object`);
      }
      const opts = deleteOptions(new URLSearchParams(), isRecord(body) ? body.deleteOptions : undefined);
      if (q.getAll('dryRun').includes('All')) opts.dryRun = true;
      await service.delete(r, ns, name, opts);
      return sendObject(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 }, bodyFormat);
    }
    if (sub === 'log' && r.def.group === '' && r.def.resource === 'pods' && this.d.logs) {
      if (method !== 'GET') throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
      return this.d.logs.proxy(req, res, ns!, name, q);
    }
    throw notFoundPath();
  }

  private sendOne(res: ServerResponse, r: ServedResource, obj: KubeObject, format: OutputFormat, q: URLSearchParams): void {
    if (format.kind === 'table') {
      const table = toTable(r.def, [obj], parseIncludeObject(q.get('includeObject')), this.d.service.ctx, { resourceVersion: obj.metadata?.resourceVersion }, format.version);
      return sendObject(res, 200, table, 'json', { contentType: `application/json;as=Table;v=${format.version};g=meta.k8s.io` });
    }
    if (format.kind === 'partial') return sendObject(res, 200, partialMetadata(obj, format.version));
    return sendObject(res, 200, obj, format.kind);
  }

  /** A JSON list whose items are already served JSON. */
  private sendJsonList(res: ServerResponse, r: ServedResource, items: string[], meta: ListMetaFields): void {
    const head = JSON.stringify({ kind: r.def.listKind, apiVersion: r.apiVersion, metadata: listMetadata(meta) });
    sendJson(res, 200, `${head.slice(0, -1)},"items":[${items.join(',')}]}`);
  }

  private sendList(res: ServerResponse, r: ServedResource, items: KubeObject[], meta: ListMetaFields, format: OutputFormat, q: URLSearchParams): void {
    const listMeta = listMetadata(meta);
    if (format.kind === 'table') {
      const table = toTable(r.def, items, parseIncludeObject(q.get('includeObject')), this.d.service.ctx, listMeta, format.version);
      return sendObject(res, 200, table, 'json', { contentType: `application/json;as=Table;v=${format.version};g=meta.k8s.io` });
    }
    if (format.kind === 'partial') {
      return sendObject(res, 200, {
        kind: 'PartialObjectMetadataList',
        apiVersion: `meta.k8s.io/${format.version}`,
        metadata: listMeta,
        items: items.map((o) => partialMetadata(o, format.version)),
      });
    }
    return sendObject(res, 200, { kind: r.def.listKind, apiVersion: r.apiVersion, metadata: listMeta, items }, format.kind);
  }

  private async watch(res: ServerResponse, r: ServedResource, ns: string | undefined, name: string | undefined, q: URLSearchParams, format: OutputFormat): Promise<void> {
    let wf: WatchFormat;
    if (format.kind === 'table') wf = { kind: 'table', version: format.version, include: parseIncludeObject(q.get('includeObject')) };
    else if (format.kind === 'partial') wf = { kind: 'partial', version: format.version };
    else wf = { kind: 'json' };
    let fieldSelector = q.get('fieldSelector') ?? undefined;
    if (name) fieldSelector = fieldSelector ? `${fieldSelector},metadata.name=${name}` : `metadata.name=${name}`;
    const sendInitial = q.get('sendInitialEvents');
    let started = false;
    const contentType =
      wf.kind === 'table' ? `application/json;as=Table;v=${wf.version};g=meta.k8s.io` : 'application/json';
    this.watches.add(res);
    res.on('close', () => this.watches.delete(res));
    const start = () => {
      if (started) return;
      started = true;
      res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
      res.flushHeaders();
    };
    try {
      await runWatch(
        this.d.service,
        r,
        ns,
        {
          labelSelector: q.get('labelSelector') ?? undefined,
          fieldSelector,
          resourceVersion: q.get('resourceVersion') ?? undefined,
          resourceVersionMatch: q.get('resourceVersionMatch') ?? undefined,
          allowWatchBookmarks: boolParam(q.get('allowWatchBookmarks')),
          sendInitialEvents: sendInitial === null ? undefined : boolParam(sendInitial),
          timeoutSeconds: intParam(q, 'timeoutSeconds'),
        },
        wf,
        {
          write: (chunk) => {
            // The server may have ended the response already (shutdown closes connections before the store ends its watches).
            if (res.writableEnded || res.destroyed) return;
            start();
            res.write(chunk);
          },
          buffered: () => res.writableLength,
          drained: () =>
            new Promise<void>((resolve) => {
              if (res.writableLength === 0 || res.destroyed) return resolve();
              const done = () => {
                res.off('drain', done);
                res.off('close', done);
                resolve();
              };
              res.on('drain', done);
              res.on('close', done);
            }),
          end: () => {
            if (res.writableEnded || res.destroyed) return;
            start();
            res.end();
          },
          onClose: (cb) => res.on('close', cb),
          cork: () => {
            start();
            res.socket?.cork();
          },
          uncork: () => res.socket?.uncork(),
        },
        this.d.watch,
        this.d.log,
      );
      start();
    } catch (err) {
      if (!started && err instanceof ApiError) return sendError(res, err);
      throw err;
    }
  }
}

interface ListMetaFields {
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

function listMetadata(meta: ListMetaFields): Record<string, unknown> {
  const listMeta: Record<string, unknown> = { resourceVersion: meta.resourceVersion };
  if (meta.continue) listMeta.continue = meta.continue;
  if (meta.remainingItemCount !== undefined) listMeta.remainingItemCount = meta.remainingItemCount;
  return listMeta;
}

/** A write's answer: the stored text when the write kept it and JSON is wanted, else the object encoded. */
function sendOutcome(res: ServerResponse, out: WriteOutcome, format: BodyFormat): void {
  if (out.json !== undefined && format === 'json') return sendJson(res, out.code, out.json, { warnings: out.warnings });
  sendObject(res, out.code, out.obj, format, { warnings: out.warnings });
}

export function notFoundPath(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource', { causes: [{ reason: 'UnexpectedServerResponse', message: '404 page not found' }] });
}

function notAcceptable(): ApiError {
  return errors.notAcceptable('only the following media types are accepted: application/json, application/yaml, application/json;as=Table;v=v1;g=meta.k8s.io');
}
