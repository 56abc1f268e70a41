// A small in-memory API server speaking the REST/watch protocol, for controller
// tests of paths the real server cannot be made to take (a pod create refused by
// admission, for example). Generic over resources; no validation, no defaults beyond
// metadata. Scenario tests use the real `kujira up` (cluster.ts) instead.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { matches, parseSelector } from '../../api/labels.js';
import type { ObjectMeta, Status } from '../../api/types.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Obj = { apiVersion?: string; kind?: string; metadata: Mutable<ObjectMeta> & { name: string }; spec?: unknown; status?: unknown; [k: string]: unknown };

interface Target {
  collection: string; // e.g. "apps/v1/replicasets"
  namespace: string; // '' = all / cluster
  name?: string;
  sub?: string;
}

function parse(path: string): Target | undefined {
  const p = path.split('/').filter(Boolean);
  let gv: string;
  let rest: string[];
  if (p[0] === 'api') {
    gv = p[1];
    rest = p.slice(2);
  } else if (p[0] === 'apis') {
    gv = `${p[1]}/${p[2]}`;
    rest = p.slice(3);
  } else return undefined;
  let namespace = '';
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  return { collection: `${gv}/${rest[0]}`, namespace, name: rest[1], sub: rest[2] };
}

function matchesLabels(obj: Obj, selector: string | null): boolean {
  return !selector || matches(parseSelector(selector), obj.metadata.labels);
}

function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** RFC 6902 JSON patch (add, remove, replace, test); throws on a failed test or a missing path. */
function jsonPatch(doc: unknown, ops: Array<{ op: string; path: string; value?: unknown }>): unknown {
  const root = structuredClone(doc) as Record<string, unknown>;
  for (const { op, path, value } of ops) {
    const parts = path.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = parts.pop()!;
    let parent: Record<string, unknown> | unknown[] = root;
    for (const p of parts) {
      const next: unknown = (parent as Record<string, unknown>)[p];
      if (typeof next !== 'object' || next === null) throw new Error(`path ${path} does not exist`);
      parent = next as Record<string, unknown>;
    }
    const target = parent as Record<string, unknown>;
    if (op === 'test') {
      if (JSON.stringify(target[last]) !== JSON.stringify(value)) throw new Error(`test failed at ${path}`);
    } else if (op === 'remove') {
      if (!(last in target)) throw new Error(`path ${path} does not exist`);
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete target[last];
    } else if (op === 'replace') {
      if (!(last in target)) throw new Error(`path ${path} does not exist`);
      target[last] = value;
    } else if (op === 'add') {
      if (Array.isArray(parent)) parent.splice(last === '-' ? parent.length : Number(last), 0, value);
      else target[last] = value;
    } else throw new Error(`unsupported op ${op}`);
  }
  return root;
}

const status = (code: number, reason: string, message: string): Status => ({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message });

export interface MemApiOptions {
  /** Return a Status to refuse a create (e.g. admission), or undefined to accept. */
  refuseCreate?(collection: string, obj: Obj): Status | undefined;
  /**
   * Deliver this watch's events this many ms late (in order): a client whose informer
   * cache lags behind the store, as a slow watch does under load. Given the collection
   * and the watching client's User-Agent.
   */
  watchLagMs?(collection: string, userAgent: string): number;
}

export class MemApi {
  rv = 0;
  private uid = 0;
  readonly objects = new Map<string, Obj>(); // key: collection|ns|name
  private history: Array<{ collection: string; type: string; object: Obj }> = [];
  private watchers = new Set<{ t: Target; res: http.ServerResponse; labels: string | null; lagMs: number }>();
  readonly requests: string[] = [];
  /** Writes refused with a 4xx/5xx status: "METHOD collection/name[/sub] code". */
  readonly refusedWrites: string[] = [];
  private server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => this.handle(req, res, body));
  });

  constructor(private readonly opts: MemApiOptions = {}) {}

  async start(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const w of this.watchers) w.res.destroy();
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  list(collection: string): Obj[] {
    return [...this.objects.entries()].filter(([k]) => k.startsWith(collection + '|')).map(([, o]) => o);
  }

  private emit(collection: string, type: string, object: Obj): void {
    this.history.push({ collection, type, object });
    for (const w of this.watchers) {
      if (w.t.collection !== collection) continue;
      if (w.t.namespace && w.t.namespace !== (object.metadata.namespace ?? '')) continue;
      if (!matchesLabels(object, w.labels)) continue;
      const line = JSON.stringify({ type, object }) + '\n';
      if (w.lagMs > 0) setTimeout(() => w.res.writable && w.res.write(line), w.lagMs);
      else w.res.write(line);
    }
  }

  private store(t: Target, obj: Obj, type: 'ADDED' | 'MODIFIED'): Obj {
    obj.metadata = { ...obj.metadata, resourceVersion: String(++this.rv) };
    this.objects.set(`${t.collection}|${obj.metadata.namespace ?? ''}|${obj.metadata.name}`, obj);
    this.emit(t.collection, type, obj);
    return obj;
  }

  private remove(t: Target, obj: Obj): Obj {
    this.objects.delete(`${t.collection}|${obj.metadata.namespace ?? ''}|${obj.metadata.name}`);
    const gone = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++this.rv) } };
    this.emit(t.collection, 'DELETED', gone);
    return gone;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
    const url = new URL(req.url!, 'http://x');
    const t = parse(url.pathname);
    const what = t && `${req.method} ${t.collection}${t.name ? '/' + t.name : ''}${t.sub ? '/' + t.sub : ''}`;
    const send = (code: number, obj: unknown): void => {
      if (code >= 400 && req.method !== 'GET' && what) this.refusedWrites.push(`${what} ${code}`);
      res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(obj));
    };
    if (!t) return send(404, status(404, 'NotFound', 'the server could not find the requested resource'));
    this.requests.push(what!);
    const key = `${t.collection}|${t.namespace}|${t.name}`;
    const existing = t.name ? this.objects.get(key) : undefined;
    const input = body ? (JSON.parse(body) as Obj) : undefined;

    if (req.method === 'GET' && !t.name) {
      const labels = url.searchParams.get('labelSelector');
      if (url.searchParams.get('watch') === 'true') {
        const from = Number(url.searchParams.get('resourceVersion') || this.rv);
        res.writeHead(200, { 'content-type': 'application/json' });
        const w = { t, res, labels, lagMs: this.opts.watchLagMs?.(t.collection, String(req.headers['user-agent'] ?? '')) ?? 0 };
        for (const h of this.history.slice(from)) if (h.collection === t.collection) res.write(JSON.stringify({ type: h.type, object: h.object }) + '\n');
        this.watchers.add(w);
        res.on('close', () => this.watchers.delete(w));
        return;
      }
      const items = this.list(t.collection).filter((o) => (!t.namespace || o.metadata.namespace === t.namespace) && matchesLabels(o, labels));
      return send(200, { kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: String(this.rv) }, items });
    }
    if (req.method === 'GET') return existing ? send(200, existing) : send(404, status(404, 'NotFound', `${t.collection} "${t.name}" not found`));
    if (req.method === 'POST' && !t.name && input) {
      const refused = this.opts.refuseCreate?.(t.collection, input);
      if (refused) return send(refused.code ?? 422, refused);
      const meta = { ...input.metadata };
      if (!meta.name && meta.generateName) meta.name = meta.generateName + Math.random().toString(36).slice(2, 7);
      if (this.objects.has(`${t.collection}|${t.namespace}|${meta.name}`)) return send(409, status(409, 'AlreadyExists', `"${meta.name}" already exists`));
      const obj: Obj = { ...input, metadata: { ...meta, name: meta.name!, namespace: t.namespace || undefined, uid: `uid-${++this.uid}`, generation: 1, creationTimestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') } };
      return send(201, this.store(t, obj, 'ADDED'));
    }
    if (!existing) return send(404, status(404, 'NotFound', `${t.collection} "${t.name}" not found`));
    if (req.method === 'PUT' && input) {
      if (input.metadata.resourceVersion && input.metadata.resourceVersion !== existing.metadata.resourceVersion) return send(409, status(409, 'Conflict', 'the object has been modified'));
      const next: Obj = t.sub === 'status' ? { ...existing, status: input.status, metadata: { ...existing.metadata, annotations: input.metadata.annotations } } : { ...input, status: existing.status, metadata: { ...input.metadata, uid: existing.metadata.uid, creationTimestamp: existing.metadata.creationTimestamp, generation: existing.metadata.generation } };
      if (t.sub !== 'status' && JSON.stringify(input.spec) !== JSON.stringify(existing.spec)) next.metadata.generation = (existing.metadata.generation ?? 1) + 1;
      return send(200, this.finish(t, next));
    }
    if (req.method === 'PATCH' && input && String(req.headers['content-type']).startsWith('application/json-patch+json')) {
      let patched: Obj;
      try {
        patched = jsonPatch(existing, input as unknown as Array<{ op: string; path: string; value?: unknown }>) as Obj;
      } catch (err) {
        return send(422, status(422, 'Invalid', (err as Error).message));
      }
      if (JSON.stringify(patched.spec) !== JSON.stringify(existing.spec)) patched.metadata.generation = (existing.metadata.generation ?? 1) + 1;
      return send(200, this.finish(t, patched));
    }
    if (req.method === 'PATCH' && input) {
      // A status write also takes annotations (Kubernetes' status strategies keep only spec and labels).
      const statusPart = { status: (input as Obj).status, ...((input as Obj).metadata?.annotations ? { metadata: { annotations: (input as Obj).metadata.annotations } } : {}) };
      const patched = mergePatch(existing, t.sub === 'status' ? statusPart : input) as Obj;
      const rv = (input as Obj).metadata?.resourceVersion;
      if (rv && rv !== existing.metadata.resourceVersion) return send(409, status(409, 'Conflict', 'the object has been modified'));
      if (JSON.stringify(patched.spec) !== JSON.stringify(existing.spec)) patched.metadata.generation = (existing.metadata.generation ?? 1) + 1;
      return send(200, this.finish(t, patched));
    }
    if (req.method === 'DELETE') {
      const policy = (input as { propagationPolicy?: string } | undefined)?.propagationPolicy;
      const finalizers = [...(existing.metadata.finalizers ?? [])];
      if (policy === 'Foreground' && !finalizers.includes('foregroundDeletion')) finalizers.push('foregroundDeletion');
      if (policy === 'Orphan' && !finalizers.includes('orphan')) finalizers.push('orphan');
      if (finalizers.length === 0) return send(200, this.remove(t, existing));
      const deleting = { ...existing, metadata: { ...existing.metadata, finalizers, deletionTimestamp: existing.metadata.deletionTimestamp ?? new Date().toISOString() } };
      return send(200, this.store(t, deleting, 'MODIFIED'));
    }
    return send(405, status(405, 'MethodNotAllowed', 'method not allowed'));
  }

  /** A deleting object whose last finalizer went away is removed. */
  private finish(t: Target, obj: Obj): Obj {
    if (obj.metadata.deletionTimestamp && !(obj.metadata.finalizers ?? []).length) return this.remove(t, obj);
    return this.store(t, obj, 'MODIFIED');
  }
}
