// The generic object semantics behind every REST verb, independent of HTTP: what Kubernetes'
// generic registry store does (create with generateName/uid/timestamps, guarded updates,
// graceful and finalizer-aware deletion, paged lists at a revision, status and scale).
import { randomInt, randomUUID } from 'node:crypto';
import { ApiError, errors, field, type FieldCause } from '../../api/errors.js';
import type { KubeObject } from '../../api/types.js';
import type { Logger } from '../../api/log.js';
import { CompactedError, type KeyValue, type Store } from '../../storage/store.js';
import type { PatchFn, SchemaCatalog } from '../deps.js';
import type { AllocationHooks, ResourceDefinition, StrategyContext } from '../registry/types.js';
import { decodeKv, encodeObject, encodeObjectText, listPrefix, metaOf, objectKey, servedJson, servedJsonOf, type ResourceIndex, type ServedResource } from '../resources.js';
import { compileSelectors } from '../selectors.js';
import { decodeContinue, encodeContinue } from './continue.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export interface WriteOptions {
  dryRun: boolean;
  fieldValidation: FieldValidation;
}

export interface WriteOutcome {
  obj: KubeObject;
  warnings: string[];
  /** HTTP status: 201 created, 200 done, 202 accepted (deletion pending). */
  code: number;
  /** `obj` as served JSON, when it was built from the stored text (saves serialising it again). */
  json?: string;
}

export interface ListQuery {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
}

export interface ListOutcome {
  /** The objects; empty when `json` holds them instead. */
  items: KubeObject[];
  /** With `served` asked for and nothing to filter: each object as served JSON, spliced from the stored text. */
  json?: string[];
  revision: number;
  continue?: string;
  remainingItemCount?: number;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  orphanDependents?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun: boolean;
}

export interface ObjectServiceConfig {
  store: Store;
  index: ResourceIndex;
  schema: SchemaCatalog;
  applyPatch: PatchFn;
  now: () => Date;
  log: Logger;
  /** Allocation hooks by "group/resource" (core services: cluster IPs and node ports). */
  allocations?: Map<string, AllocationHooks>;
}

/** A write's allocation (see AllocationHooks): finished once the write is stored or has failed. */
interface HeldAllocation {
  finish?: (stored: boolean) => void;
  stored: boolean;
}

/** The registry's optional graceful-deletion hook (pods): how long the object may take to go. */
type GracefulDeletion = { gracefulDelete?(obj: KubeObject, requestedGraceSeconds: number | undefined): { graceSeconds: number } };

export const FINALIZER_ORPHAN = 'orphan';
export const FINALIZER_FOREGROUND = 'foregroundDeletion';
/** Namespaces that may never be deleted, as in Kubernetes. */
const UNDELETABLE_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);

const NAME_SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const MAX_CAS_ATTEMPTS = 20;

let lastSecond = -1;
let lastStamp = '';
/** RFC 3339 at second precision, as Kubernetes writes metav1.Time. */
export function timestamp(d: Date): string {
  const second = Math.floor(d.getTime() / 1000);
  if (second !== lastSecond) {
    lastStamp = d.toISOString().slice(0, 19) + 'Z';
    lastSecond = second;
  }
  return lastStamp;
}

function randomSuffix(): string {
  let s = '';
  for (let i = 0; i < 5; i++) s += NAME_SUFFIX_ALPHABET[randomInt(NAME_SUFFIX_ALPHABET.length)];
  return s;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function ref(r: ServedResource) {
  return { group: r.def.group, resource: r.def.resource };
}

function modifiedConflict(r: ServedResource, name: string): ApiError {
  return errors.conflict(ref(r), name, 'the object has been modified; please apply your changes to the latest version and try again');
}

export function compactedError(err: CompactedError): ApiError {
  return errors.gone(`too old resource version: ${err.requested} (${err.compacted})`);
}

interface GuardedUpdate {
  /**
   * Computes the new object, from a fresh copy of the current one when it asks for it
   * (a PUT replaces the object whole and never does: that saves parsing the stored bytes twice).
   */
  mutate(fresh: () => KubeObject, kv: KeyValue): KubeObject | Promise<KubeObject>;
  /** The caller pinned a resourceVersion: a conflict is the caller's, no retry. */
  pinned?: (candidate: KubeObject) => string | undefined;
  /** 'status' runs the status strategy; 'raw' skips strategies (binding, internal finalizer edits). */
  mode: 'main' | 'status' | 'raw';
  dryRun: boolean;
}

/** What a namespace cache knows: 'active', 'terminating', or undefined (not seen: ask the store). */
export type NamespaceLookup = (name: string) => 'active' | 'terminating' | undefined;

export class ObjectService {
  readonly ctx: StrategyContext;
  /** Set by the namespace lifecycle once its watch runs; saves a store read per namespaced create. */
  namespaceLookup: NamespaceLookup | undefined;

  constructor(private readonly cfg: ObjectServiceConfig) {
    this.ctx = { now: cfg.now };
  }

  get store(): Store {
    return this.cfg.store;
  }

  // ---- reads ------------------------------------------------------------------------

  async get(r: ServedResource, ns: string | undefined, name: string): Promise<KubeObject> {
    const { kv } = await this.cfg.store.get(objectKey(r, ns, name));
    if (!kv) throw errors.notFound(ref(r), name);
    return decodeKv(r, kv);
  }

  /** The object as served JSON, spliced from its stored text when the layout allows (else decoded and encoded). */
  async getJson(r: ServedResource, ns: string | undefined, name: string): Promise<string> {
    const { kv } = await this.cfg.store.get(objectKey(r, ns, name));
    if (!kv) throw errors.notFound(ref(r), name);
    return servedJsonOf(r, kv.value, kv.modRevision) ?? JSON.stringify(decodeKv(r, kv));
  }

  async list(r: ServedResource, ns: string | undefined, q: ListQuery, served = false): Promise<ListOutcome> {
    const sel = compileSelectors(q.labelSelector, q.fieldSelector, r.def);
    const json: string[] | undefined = served && !sel.filtering && !r.converts ? [] : undefined;
    const prefix = listPrefix(r, ns);
    const limit = q.limit && q.limit > 0 ? q.limit : 0;
    let revision = 0;
    let startKey: string | undefined;
    let minRevision = 0;
    if (q.continue) {
      const token = decodeContinue(q.continue, prefix);
      revision = token.rv;
      startKey = token.start;
    } else if (q.resourceVersion && q.resourceVersion !== '0') {
      const rv = Number(q.resourceVersion);
      if (!Number.isInteger(rv) || rv < 0) throw errors.badRequest(`invalid resource version: ${q.resourceVersion}`);
      const exact = q.resourceVersionMatch === 'Exact' || (!q.resourceVersionMatch && limit > 0);
      if (exact) revision = rv;
      else minRevision = rv;
    } else if (q.resourceVersionMatch === 'Exact') {
      throw errors.badRequest('resourceVersionMatch: Invalid value: "Exact": resourceVersionMatch "exact" is forbidden for resourceVersion "0"');
    }

    const items: KubeObject[] = [];
    let lastKey: string | undefined;
    let more = false;
    let count = 0;
    let firstRead = true;
    try {
      for (;;) {
        const want = limit ? limit - (json ? json.length : items.length) : 0;
        // Over-fetch a little when filtering so one page rarely needs several store reads.
        const res = await this.cfg.store.list(prefix, { revision, limit: want && sel.filtering ? Math.max(want * 2, 100) : want, startKey });
        revision = res.revision;
        if (firstRead) count = res.count;
        firstRead = false;
        let stoppedEarly = false;
        for (let i = 0; i < res.kvs.length; i++) {
          const kv = res.kvs[i];
          lastKey = kv.key;
          if (json) {
            json.push(servedJsonOf(r, kv.value, kv.modRevision) ?? JSON.stringify(decodeKv(r, kv)));
          } else {
            const obj = decodeKv(r, kv);
            if (sel.filtering && !sel.matches(obj)) continue;
            items.push(obj);
          }
          const got = json ? json.length : items.length;
          if (limit && got >= limit) {
            stoppedEarly = i < res.kvs.length - 1 || res.more;
            break;
          }
        }
        if (limit && (json ? json.length : items.length) >= limit) {
          more = stoppedEarly;
          break;
        }
        if (!res.more || res.kvs.length === 0) break;
        startKey = lastKey + '\u0000';
      }
    } catch (err) {
      if (err instanceof CompactedError) {
        if (q.continue) {
          throw errors.gone(
            'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
          );
        }
        throw compactedError(err);
      }
      throw err;
    }
    if (minRevision > revision) {
      throw new ApiError(504, 'Timeout', `Too large resource version: ${minRevision}, current: ${revision}`, {
        causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
        retryAfterSeconds: 1,
      });
    }
    const out: ListOutcome = { items, revision };
    if (json) out.json = json;
    if (more && lastKey !== undefined) {
      out.continue = encodeContinue({ rv: revision, start: lastKey + '\u0000' });
      // etcd's count runs from this page's start key, so without filtering the rest is count - page.
      if (!sel.filtering) out.remainingItemCount = Math.max(0, count - (json ? json.length : items.length));
    }
    return out;
  }

  // ---- decoding and field validation -------------------------------------------------

  /** Checks a decoded body is an object of this resource's kind; fills apiVersion/kind when absent. */
  asObject(r: ServedResource, body: unknown, kind = r.def.kind, apiVersion = r.apiVersion): KubeObject {
    if (!isPlainObject(body)) throw errors.badRequest(`Object '${kind}' is missing in '${JSON.stringify(body)?.slice(0, 200)}'`);
    const obj = body as KubeObject;
    if (obj.apiVersion !== undefined && obj.apiVersion !== apiVersion) {
      throw errors.badRequest(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${apiVersion})`);
    }
    if (obj.kind !== undefined && obj.kind !== kind) {
      throw errors.badRequest(`the kind in the data (${String(obj.kind)}) does not match the expected kind (${kind})`);
    }
    if (obj.metadata !== undefined && !isPlainObject(obj.metadata)) {
      throw errors.badRequest(`${kind} in version "${apiVersion.split('/').pop()}" cannot be handled as a ${kind}: metadata must be an object`);
    }
    obj.apiVersion = apiVersion;
    obj.kind = kind;
    return obj;
  }

  /** Unknown fields per fieldValidation; fields of the wrong type are always a 400. Returns warnings. */
  checkFields(apiVersion: string, kind: string, obj: KubeObject, mode: FieldValidation): string[] {
    const { unknownFields, typeErrors } = this.cfg.schema.checkObject(apiVersion, kind, obj);
    if (typeErrors.length > 0) {
      const version = apiVersion.split('/').pop();
      const msg = `${kind} in version "${version}" cannot be handled as a ${kind}: ${typeErrors.map((c) => `${c.field}: ${c.message}`).join(', ')}`;
      throw new ApiError(400, 'BadRequest', msg, { kind, causes: typeErrors.map((c) => ({ reason: c.type, message: c.message, field: c.field })) });
    }
    if (unknownFields.length === 0 || mode === 'Ignore') return [];
    const described = unknownFields.map((f) => `unknown field "${f}"`);
    if (mode === 'Strict') {
      throw new ApiError(400, 'BadRequest', `strict decoding error: ${described.join(', ')}`, {
        kind,
        causes: unknownFields.map((f) => ({ reason: 'FieldValueInvalid', message: `unknown field "${f}"`, field: f })),
      });
    }
    return described;
  }

  // ---- namespaces ----------------------------------------------------------------------

  private namespaces(): ServedResource | undefined {
    return this.cfg.index.lookup('', 'v1', 'namespaces');
  }

  /** A namespaced write needs the namespace to exist (and, for creates, not be terminating). */
  async requireNamespace(ns: string, forCreate: boolean): Promise<void> {
    const nsRes = this.namespaces();
    if (!nsRes) return;
    const cached = this.namespaceLookup?.(ns);
    if (cached === 'active' || (cached === 'terminating' && !forCreate)) return;
    const { kv } = await this.cfg.store.get(objectKey(nsRes, undefined, ns));
    if (!kv) throw errors.notFound({ group: '', resource: 'namespaces' }, ns);
    if (forCreate) {
      const obj = decodeKv(nsRes, kv);
      if (obj.metadata?.deletionTimestamp) {
        throw new ApiError(403, 'Forbidden', `unable to create new content in namespace ${ns} because it is being terminated`, {
          name: ns,
          kind: 'namespaces',
          causes: [{ reason: 'NamespaceTerminating', message: `namespace ${ns} is being terminated`, field: 'metadata.namespace' }],
        });
      }
    }
  }

  private checkNamespace(r: ServedResource, obj: KubeObject, ns: string | undefined): void {
    const meta = (obj.metadata ??= {});
    if (r.def.namespaced) {
      if (meta.namespace && meta.namespace !== ns) {
        throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      meta.namespace = ns;
    } else {
      delete meta.namespace;
    }
  }

  // ---- create --------------------------------------------------------------------------

  async create(r: ServedResource, ns: string | undefined, body: unknown, opts: WriteOptions): Promise<WriteOutcome> {
    const warnings: string[] = [];
    try {
      return await this.createChecked(r, ns, body, opts, warnings);
    } catch (err) {
      throw withWarnings(err, warnings);
    }
  }

  private async createChecked(r: ServedResource, ns: string | undefined, body: unknown, opts: WriteOptions, warnings: string[]): Promise<WriteOutcome> {
    const obj = this.asObject(r, body);
    warnings.push(...this.checkFields(r.apiVersion, r.def.kind, obj, opts.fieldValidation));
    this.checkNamespace(r, obj, ns);
    if (r.def.namespaced) await this.requireNamespace(ns!, true);
    const meta = metaOf(obj);
    const generated = !meta.name && !!meta.generateName;
    if (!meta.name && !meta.generateName) {
      throw errors.invalid(r.def.group, r.def.kind, '', [field.required('metadata.name', 'name or generateName is required')]);
    }
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete (meta as Record<string, unknown>).selfLink;
    meta.uid = randomUUID();
    meta.creationTimestamp = timestamp(this.cfg.now());
    r.def.applyDefaults(obj);
    r.def.prepareForCreate(obj, this.ctx);
    const held: HeldAllocation = { finish: this.allocationsFor(r)?.beginCreate(obj), stored: false };
    try {
      return await this.storeNew(r, ns, obj, generated, warnings, opts, held);
    } finally {
      held.finish?.(held.stored);
    }
  }

  private allocationsFor(r: ServedResource): AllocationHooks | undefined {
    return this.cfg.allocations?.get(`${r.def.group}/${r.def.resource}`);
  }

  private async storeNew(r: ServedResource, ns: string | undefined, obj: KubeObject, generated: boolean, warnings: string[], opts: WriteOptions, held: HeldAllocation): Promise<WriteOutcome> {
    const meta = metaOf(obj);
    for (let attempt = 0; ; attempt++) {
      if (generated) meta.name = `${meta.generateName}${randomSuffix()}`;
      const causes = r.def.validateCreate(obj);
      if (causes.length > 0) throw errors.invalid(r.def.group, r.def.kind, meta.name ?? '', causes);
      if (opts.dryRun) return { obj, warnings, code: 201 };
      const text = encodeObjectText(r, obj);
      const res = await this.cfg.store.create(objectKey(r, ns, meta.name!), Buffer.from(text, 'utf8'));
      if (res.ok) {
        held.stored = true;
        meta.resourceVersion = String(res.kv.modRevision);
        return { obj, warnings, code: 201, json: servedJson(r, text, res.kv.modRevision) };
      }
      if (!generated || attempt >= 7) throw errors.alreadyExists(ref(r), meta.name!);
    }
  }

  // ---- updates ---------------------------------------------------------------------------

  /**
   * The one read-modify-write loop: read, mutate a fresh copy, run the strategy, write guarded by
   * the revision read. Retries on a lost race unless the caller pinned a resourceVersion.
   */
  private async guardedUpdate(r: ServedResource, ns: string | undefined, name: string, u: GuardedUpdate): Promise<WriteOutcome & { deleted?: boolean }> {
    const held: HeldAllocation = { stored: false };
    try {
      return await this.guardedUpdateAttempts(r, ns, name, u, held);
    } finally {
      held.finish?.(held.stored);
    }
  }

  private async guardedUpdateAttempts(r: ServedResource, ns: string | undefined, name: string, u: GuardedUpdate, held: HeldAllocation): Promise<WriteOutcome & { deleted?: boolean }> {
    const key = objectKey(r, ns, name);
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const { kv } = await this.cfg.store.get(key);
      if (!kv) throw errors.notFound(ref(r), name);
      const old = decodeKv(r, kv);
      // 'raw' edits keep every system field as stored, so they may work on the decoded object itself.
      const candidate = await u.mutate(u.mode === 'raw' ? () => old : () => decodeKv(r, kv), kv);
      const pinnedRv = u.pinned?.(candidate);
      if (pinnedRv && pinnedRv !== String(kv.modRevision)) throw modifiedConflict(r, name);
      const meta = metaOf(candidate);
      const oldMeta = old.metadata!;
      meta.name = name;
      if (r.def.namespaced) meta.namespace = ns;
      meta.uid = oldMeta.uid;
      meta.creationTimestamp = oldMeta.creationTimestamp;
      if (u.mode !== 'raw') {
        // Deletion state only changes through DELETE.
        if (oldMeta.deletionTimestamp) meta.deletionTimestamp = oldMeta.deletionTimestamp;
        else delete meta.deletionTimestamp;
        if (oldMeta.deletionGracePeriodSeconds !== undefined) meta.deletionGracePeriodSeconds = oldMeta.deletionGracePeriodSeconds;
        else delete meta.deletionGracePeriodSeconds;
      }
      let causes: FieldCause[] = [];
      if (u.mode === 'status') {
        if (r.def.prepareForStatusUpdate) r.def.prepareForStatusUpdate(candidate, old, this.ctx);
        else {
          const status = candidate.status;
          for (const k of Object.keys(candidate)) delete candidate[k];
          Object.assign(candidate, old, { status });
          candidate.metadata = { ...old.metadata, labels: meta.labels, annotations: meta.annotations };
        }
        causes = r.def.validateStatusUpdate?.(candidate, old) ?? [];
      } else if (u.mode === 'main') {
        r.def.applyDefaults(candidate);
        r.def.prepareForUpdate(candidate, old, this.ctx);
        // A retry after a lost race gives back what the previous attempt reserved.
        held.finish?.(false);
        held.finish = this.allocationsFor(r)?.beginUpdate(candidate, old);
        causes = r.def.validateUpdate(candidate, old);
      }
      if (causes.length > 0) throw errors.invalid(r.def.group, r.def.kind, name, causes);

      // Removing the last finalizer of an object being deleted (with no grace period pending) deletes it.
      const cm = metaOf(candidate);
      if (cm.deletionTimestamp && !(cm.finalizers && cm.finalizers.length > 0) && (cm.deletionGracePeriodSeconds ?? 0) === 0 && !this.hasSpecFinalizers(candidate)) {
        if (u.dryRun) return { obj: candidate, warnings: [], code: 200, deleted: true };
        const res = await this.cfg.store.delete(key, kv.modRevision);
        if (res.ok) {
          cm.resourceVersion = String(res.revision);
          return { obj: candidate, warnings: [], code: 200, deleted: true };
        }
        if (pinnedRv) throw modifiedConflict(r, name);
        continue;
      }
      const text = encodeObjectText(r, candidate);
      const bytes = Buffer.from(text, 'utf8');
      if (sameBytes(bytes, kv.value)) return { obj: old, warnings: [], code: 200 };
      if (u.dryRun) return { obj: candidate, warnings: [], code: 200 };
      const res = await this.cfg.store.update(key, bytes, kv.modRevision);
      if (res.ok) {
        held.stored = true;
        cm.resourceVersion = String(res.kv.modRevision);
        return { obj: candidate, warnings: [], code: 200, json: servedJson(r, text, res.kv.modRevision) };
      }
      if (!res.current) throw errors.notFound(ref(r), name);
      if (pinnedRv) throw modifiedConflict(r, name);
    }
    throw modifiedConflict(r, name);
  }

  /** Namespaces carry spec.finalizers (the namespace lifecycle's); they hold deletion like metadata ones. */
  private hasSpecFinalizers(obj: KubeObject): boolean {
    const spec = obj.spec as { finalizers?: unknown[] } | undefined;
    return obj.kind === 'Namespace' && Array.isArray(spec?.finalizers) && spec!.finalizers.length > 0;
  }

  async update(r: ServedResource, ns: string | undefined, name: string, body: unknown, opts: WriteOptions, subresource?: 'status'): Promise<WriteOutcome> {
    const warnings: string[] = [];
    try {
      return await this.updateChecked(r, ns, name, body, opts, warnings, subresource);
    } catch (err) {
      throw withWarnings(err, warnings);
    }
  }

  private async updateChecked(r: ServedResource, ns: string | undefined, name: string, body: unknown, opts: WriteOptions, warnings: string[], subresource?: 'status'): Promise<WriteOutcome> {
    const obj = this.asObject(r, body);
    warnings.push(...this.checkFields(r.apiVersion, r.def.kind, obj, opts.fieldValidation));
    const meta = (obj.metadata ??= {});
    if (meta.name && meta.name !== name) {
      throw errors.badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${name})`);
    }
    this.checkNamespace(r, obj, ns);
    const pinned = meta.resourceVersion;
    const out = await this.guardedUpdate(r, ns, name, {
      mutate: () => structuredClone(obj),
      pinned: () => pinned,
      mode: subresource ?? 'main',
      dryRun: opts.dryRun,
    });
    return { ...out, warnings };
  }

  async patch(
    r: ServedResource,
    ns: string | undefined,
    name: string,
    contentType: string,
    patch: unknown,
    opts: WriteOptions,
    subresource?: 'status',
  ): Promise<WriteOutcome> {
    const pinned = patchPinsResourceVersion(contentType, patch);
    const warnings: string[] = [];
    try {
      const out = await this.guardedUpdate(r, ns, name, {
        mutate: (fresh) => {
          const current = fresh();
          const patched = this.cfg.applyPatch(r.def.kind, contentType, current, patch);
          const obj = this.asObject(r, patched);
          // A conflict retry patches afresh: the warnings are the last attempt's.
          warnings.splice(0, warnings.length, ...this.checkFields(r.apiVersion, r.def.kind, obj, opts.fieldValidation));
          return obj;
        },
        pinned: pinned ? (c) => c.metadata?.resourceVersion : undefined,
        mode: subresource ?? 'main',
        dryRun: opts.dryRun,
      });
      return { ...out, warnings };
    } catch (err) {
      throw withWarnings(err, warnings);
    }
  }

  // ---- scale -----------------------------------------------------------------------------

  scaleOf(r: ServedResource, obj: KubeObject): KubeObject {
    const spec = (obj.spec ?? {}) as { replicas?: number };
    const status = (obj.status ?? {}) as { replicas?: number };
    const m = obj.metadata!;
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
      spec: { replicas: spec.replicas ?? 0 },
      status: { replicas: status.replicas ?? 0, selector: r.def.subresources.scale?.selector(obj) ?? '' },
    };
  }

  private scaleReplicas(name: string, scale: KubeObject): number {
    const replicas = (scale.spec as { replicas?: unknown } | undefined)?.replicas ?? 0;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw errors.invalid('autoscaling', 'Scale', name, [field.invalid('spec.replicas', replicas, 'must be greater than or equal to 0')]);
    }
    return replicas;
  }

  async updateScale(r: ServedResource, ns: string | undefined, name: string, body: unknown, opts: WriteOptions): Promise<WriteOutcome> {
    const scale = this.asObject(r, body, 'Scale', 'autoscaling/v1');
    const replicas = this.scaleReplicas(name, scale);
    const pinned = scale.metadata?.resourceVersion;
    const out = await this.guardedUpdate(r, ns, name, {
      mutate: (fresh) => {
        const current = fresh();
        (current.spec as Record<string, unknown>).replicas = replicas;
        return current;
      },
      pinned: () => pinned,
      mode: 'main',
      dryRun: opts.dryRun,
    });
    return { obj: this.scaleOf(r, out.obj), warnings: [], code: 200 };
  }

  async patchScale(r: ServedResource, ns: string | undefined, name: string, contentType: string, patch: unknown, opts: WriteOptions): Promise<WriteOutcome> {
    const pinned = patchPinsResourceVersion(contentType, patch);
    const out = await this.guardedUpdate(r, ns, name, {
      mutate: (fresh) => {
        const current = fresh();
        const patched = this.cfg.applyPatch('Scale', contentType, this.scaleOf(r, current), patch);
        const replicas = this.scaleReplicas(name, patched);
        (current.spec as Record<string, unknown>).replicas = replicas;
        if (pinned) metaOf(current).resourceVersion = patched.metadata?.resourceVersion;
        return current;
      },
      pinned: pinned ? (c) => c.metadata?.resourceVersion : undefined,
      mode: 'main',
      dryRun: opts.dryRun,
    });
    return { obj: this.scaleOf(r, out.obj), warnings: [], code: 200 };
  }

  // ---- pods/binding ----------------------------------------------------------------------

  async bind(r: ServedResource, ns: string | undefined, name: string, body: unknown, opts: WriteOptions): Promise<void> {
    if (!isPlainObject(body)) throw errors.badRequest('Binding body must be an object');
    const target = (body.target ?? {}) as { kind?: string; name?: string };
    if (!target.name) throw errors.invalid('', 'Binding', name, [field.required('target.name')]);
    if (target.kind && target.kind !== 'Node') throw errors.invalid('', 'Binding', name, [field.notSupported('target.kind', target.kind, ['Node'])]);
    await this.guardedUpdate(r, ns, name, {
      mutate: (fresh) => {
        const pod = fresh();
        const spec = (pod.spec ??= {}) as Record<string, unknown>;
        if (pod.metadata?.deletionTimestamp) throw errors.conflict(ref(r), name, `pod ${name} is being deleted, cannot be assigned to a host`);
        if (spec.nodeName) throw errors.conflict(ref(r), name, `pod ${name} is already assigned to node "${String(spec.nodeName)}"`);
        spec.nodeName = target.name;
        const status = (pod.status ??= {}) as { conditions?: { type: string; status: string; lastProbeTime?: null; lastTransitionTime?: string }[] };
        const conditions = (status.conditions ??= []);
        const cond = { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: timestamp(this.cfg.now()) };
        const i = conditions.findIndex((c) => c.type === 'PodScheduled');
        if (i >= 0) conditions[i] = cond;
        else conditions.push(cond);
        return pod;
      },
      mode: 'raw',
      dryRun: opts.dryRun,
    });
  }

  // ---- delete ----------------------------------------------------------------------------

  async delete(r: ServedResource, ns: string | undefined, name: string, opts: DeleteOptions): Promise<WriteOutcome> {
    if (r.def.resource === 'namespaces' && r.def.group === '' && UNDELETABLE_NAMESPACES.has(name)) {
      throw new ApiError(403, 'Forbidden', `namespaces "${name}" is forbidden: this namespace may not be deleted`, { name, kind: 'namespaces' });
    }
    if (opts.gracePeriodSeconds !== undefined && (!Number.isInteger(opts.gracePeriodSeconds) || opts.gracePeriodSeconds < 0)) {
      throw errors.invalid('meta.k8s.io', 'DeleteOptions', '', [field.invalid('gracePeriodSeconds', opts.gracePeriodSeconds, 'must be greater than or equal to 0')]);
    }
    const key = objectKey(r, ns, name);
    const pinnedRv = opts.preconditions?.resourceVersion;
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const { kv } = await this.cfg.store.get(key);
      if (!kv) throw errors.notFound(ref(r), name);
      const obj = decodeKv(r, kv);
      const meta = metaOf(obj);
      if (opts.preconditions?.uid && opts.preconditions.uid !== meta.uid) {
        throw errors.conflict(ref(r), name, `Precondition failed: UID in precondition: ${opts.preconditions.uid}, UID in object meta: ${meta.uid ?? ''}`);
      }
      if (pinnedRv && pinnedRv !== meta.resourceVersion) {
        throw errors.conflict(
          ref(r),
          name,
          `Precondition failed: ResourceVersion in precondition: ${pinnedRv}, ResourceVersion in object meta: ${meta.resourceVersion ?? ''}`,
        );
      }
      const plan = this.planDeletion(r, obj, opts);
      if (plan.kind === 'remove') {
        if (opts.dryRun) return { obj, warnings: [], code: 200 };
        const res = await this.cfg.store.delete(key, kv.modRevision);
        if (res.ok) return { obj, warnings: [], code: 200 };
        if (!res.current) throw errors.notFound(ref(r), name);
        if (pinnedRv) throw modifiedConflict(r, name);
        continue;
      }
      if (plan.kind === 'unchanged') return { obj, warnings: [], code: 202 };
      if (opts.dryRun) return { obj: plan.obj, warnings: [], code: 202 };
      const res = await this.cfg.store.update(key, encodeObject(r, plan.obj), kv.modRevision);
      if (res.ok) {
        metaOf(plan.obj).resourceVersion = String(res.kv.modRevision);
        return { obj: plan.obj, warnings: [], code: 202 };
      }
      if (!res.current) throw errors.notFound(ref(r), name);
      if (pinnedRv) throw modifiedConflict(r, name);
    }
    throw modifiedConflict(r, name);
  }

  /**
   * Decides what a DELETE does to `obj`: remove it now, or mark it (deletionTimestamp, grace
   * period, GC finalizers) and leave removal to finalizers / the node agent.
   */
  private planDeletion(r: ServedResource, obj: KubeObject, opts: DeleteOptions): { kind: 'remove' } | { kind: 'mark'; obj: KubeObject } | { kind: 'unchanged' } {
    const meta = metaOf(obj);
    const before = JSON.stringify(meta);
    let finalizers = [...(meta.finalizers ?? [])];
    const policy = opts.propagationPolicy ?? (opts.orphanDependents === true ? 'Orphan' : opts.orphanDependents === false ? 'Background' : undefined);
    if (policy === 'Orphan') {
      finalizers = finalizers.filter((f) => f !== FINALIZER_FOREGROUND);
      if (!finalizers.includes(FINALIZER_ORPHAN)) finalizers.push(FINALIZER_ORPHAN);
    } else if (policy === 'Foreground') {
      finalizers = finalizers.filter((f) => f !== FINALIZER_ORPHAN);
      if (!finalizers.includes(FINALIZER_FOREGROUND)) finalizers.push(FINALIZER_FOREGROUND);
    } else if (policy === 'Background') {
      finalizers = finalizers.filter((f) => f !== FINALIZER_ORPHAN && f !== FINALIZER_FOREGROUND);
    }
    // Foreground/Orphan only matter when something can own dependents; Kubernetes adds them regardless.
    const graceful = (r.def as ResourceDefinition & GracefulDeletion).gracefulDelete?.(obj, opts.gracePeriodSeconds);
    const grace = graceful ? graceful.graceSeconds : 0;
    const isNamespace = r.def.group === '' && r.def.resource === 'namespaces';
    const now = this.cfg.now();

    if (isNamespace) {
      // The namespace lifecycle empties it, then drops spec.finalizers and removes it.
      if (!meta.deletionTimestamp) meta.deletionTimestamp = timestamp(now);
      meta.deletionGracePeriodSeconds = 0;
      if (finalizers.length > 0) meta.finalizers = finalizers;
      else delete meta.finalizers;
      const status = (obj.status ??= {}) as { phase?: string };
      status.phase = 'Terminating';
      return JSON.stringify(meta) === before && before.includes('deletionTimestamp') ? { kind: 'unchanged' } : { kind: 'mark', obj };
    }

    if (grace > 0) {
      const current = meta.deletionTimestamp ? (meta.deletionGracePeriodSeconds ?? 0) : Infinity;
      if (grace < current) {
        meta.deletionTimestamp = timestamp(new Date(now.getTime() + grace * 1000));
        meta.deletionGracePeriodSeconds = grace;
      }
      if (finalizers.length > 0) meta.finalizers = finalizers;
      else delete meta.finalizers;
      return JSON.stringify(meta) === before ? { kind: 'unchanged' } : { kind: 'mark', obj };
    }
    if (finalizers.length === 0) return { kind: 'remove' };
    if (!meta.deletionTimestamp) meta.deletionTimestamp = timestamp(now);
    meta.deletionGracePeriodSeconds = 0;
    meta.finalizers = finalizers;
    return JSON.stringify(meta) === before ? { kind: 'unchanged' } : { kind: 'mark', obj };
  }

  async deleteCollection(r: ServedResource, ns: string | undefined, q: ListQuery, opts: DeleteOptions): Promise<{ items: KubeObject[]; revision: number }> {
    const listed = await this.list(r, ns, { labelSelector: q.labelSelector, fieldSelector: q.fieldSelector });
    const deleted: KubeObject[] = [];
    for (const item of listed.items) {
      try {
        const out = await this.delete(r, item.metadata?.namespace, item.metadata!.name!, { ...opts, preconditions: undefined });
        deleted.push(out.obj);
      } catch (err) {
        if (err instanceof ApiError && err.code === 404) continue;
        throw err;
      }
    }
    return { items: deleted, revision: listed.revision };
  }
}

/** Whether a patch body names metadata.resourceVersion (then a conflict is the client's, no retry). */
export function patchPinsResourceVersion(contentType: string, patch: unknown): boolean {
  if (contentType === 'application/json-patch+json') {
    return Array.isArray(patch) && patch.some((op) => isPlainObject(op) && op.path === '/metadata/resourceVersion');
  }
  if (!isPlainObject(patch) || !isPlainObject(patch.metadata)) return false;
  return typeof patch.metadata.resourceVersion === 'string' && patch.metadata.resourceVersion !== '';
}

/** A failed write still answers with the warnings its body earned, as Kubernetes' warning recorder does. */
function withWarnings(err: unknown, warnings: string[]): unknown {
  if (err instanceof ApiError && warnings.length > 0) err.warnings.push(...warnings);
  return err;
}
