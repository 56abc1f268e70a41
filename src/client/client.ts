// KubeClient: the only way components other than the API server reach the cluster.
// One keep-alive agent for ordinary requests and one for long-lived watches, so a
// process driving 1,000 simulated nodes reuses sockets instead of handshaking per call.
import * as http from 'node:http';
import * as https from 'node:https';
import { createSecureContext } from 'node:tls';
import type { Duplex, Readable } from 'node:stream';
import { ApiError, type StatusReason } from '../api/errors.js';
import type { KubeList, Status, WatchEvent } from '../api/types.js';
import { loadKubeconfig, type ClientConfig, type DirectTransport } from './kubeconfig.js';
import { apiVersionOfResource, type ObjectLike, type ResourceType } from './resources.js';

export type { ClientConfig, DirectResponse, DirectTransport } from './kubeconfig.js';

/** A response being read: an HTTP one, or one from an in-process API server. */
type ResponseStream = Readable & { statusCode?: number };

export type PatchType = 'merge' | 'strategic' | 'json';

const patchContentType: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
};

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Query;
  /** Object (sent as JSON) or an already-serialised string. */
  body?: unknown;
  contentType?: string;
  /** Accept header; default application/json (e.g. PartialObjectMetadataList when only metadata is needed). */
  accept?: string;
  signal?: AbortSignal;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
}

export interface WatchOptions {
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  labelSelector?: string;
  fieldSelector?: string;
  timeoutSeconds?: number;
  signal?: AbortSignal;
}

export interface WriteOptions {
  dryRun?: boolean;
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
  fieldManager?: string;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export interface Scale {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectLike['metadata'];
  spec?: { replicas?: number };
  status?: { replicas: number; selector?: string };
}

const reasonByCode: Record<number, StatusReason> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Gone',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

function isStatus(v: unknown): v is Status {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'Status';
}

/** Rebuilds the server's Status as an ApiError, so callers can test `err.code === 409`. */
export function statusToError(status: Status, httpCode?: number): ApiError {
  const code = status.code ?? httpCode ?? 500;
  const reason = (status.reason as StatusReason | undefined) ?? reasonByCode[code] ?? 'InternalError';
  return new ApiError(code, reason, status.message ?? `the server responded with status ${code}`, status.details);
}

function errorFromResponse(code: number, text: string): ApiError {
  try {
    const parsed: unknown = JSON.parse(text);
    if (isStatus(parsed)) return statusToError(parsed, code);
  } catch {
    // not JSON: fall through to a generic error carrying the body
  }
  return new ApiError(code, reasonByCode[code] ?? 'InternalError', text.trim() || `the server responded with status ${code}`);
}

function encodeQuery(query: Query | undefined): string {
  if (!query) return '';
  let out = '';
  for (const k in query) {
    const v = query[k];
    if (v === undefined || v === '') continue;
    out += (out ? '&' : '?') + k + '=' + encodeURIComponent(String(v));
  }
  return out;
}

export interface WatchStream<T> extends AsyncIterable<WatchEvent<T>> {
  /** Ends the watch and releases its connection. */
  close(): void;
}

/** An agent whose connections come from an in-process API server (no TLS, no sockets). */
class LoopbackAgent extends http.Agent {
  constructor(
    private readonly connect: () => Duplex,
    opts: http.AgentOptions,
  ) {
    super(opts);
  }

  override createConnection(): Duplex {
    return this.connect();
  }
}

export class KubeClient {
  readonly server: URL;
  private readonly transport: typeof https | typeof http;
  private readonly agent: http.Agent;
  private readonly watchAgent: http.Agent;
  private readonly baseHeaders: Record<string, string>;
  private readonly pathPrefix: string;
  private readonly protocol: string;
  private readonly direct: DirectTransport | undefined;
  readonly userAgent: string;
  /** Per-request timeout for non-watch requests. */
  requestTimeoutMs = 60_000;

  constructor(config: ClientConfig) {
    this.server = new URL(config.server);
    this.pathPrefix = this.server.pathname.replace(/\/+$/, '');
    const secure = this.server.protocol === 'https:' && !config.connect;
    this.transport = secure ? https : http;
    this.protocol = secure ? 'https:' : 'http:';
    // One TLS context for every connection, handed to the agent as an object: given as ca/cert/key
    // strings instead, each connection builds its own context and each request's pool key embeds
    // the PEM text (several KB hashed per request).
    const tls = secure
      ? { secureContext: createSecureContext({ ca: config.ca, cert: config.cert, key: config.key }), rejectUnauthorized: !config.insecureSkipTLSVerify }
      : {};
    // Ordinary calls share a bounded pool; watches each hold a socket for minutes, so they get their own unbounded pool.
    const connect = config.connect;
    const agent = (opts: http.AgentOptions): http.Agent =>
      connect ? new LoopbackAgent(connect, opts) : secure ? new https.Agent({ ...opts, ...tls }) : new http.Agent(opts);
    const pool = config.maxConnections ?? 64;
    this.agent = agent({ keepAlive: true, maxSockets: pool, maxFreeSockets: pool });
    this.watchAgent = agent({ keepAlive: true });
    this.direct = config.direct;
    this.userAgent = config.userAgent ?? 'kujira';
    this.baseHeaders = { Accept: 'application/json', 'User-Agent': this.userAgent };
    if (config.token) this.baseHeaders.Authorization = `Bearer ${config.token}`;
  }

  static fromKubeconfig(path: string, options: { context?: string; userAgent?: string } = {}): KubeClient {
    const config = loadKubeconfig(path, options.context);
    return new KubeClient({ ...config, userAgent: options.userAgent });
  }

  resource<T extends ObjectLike>(type: ResourceType<T>): ResourceClient<T> {
    return new ResourceClient<T>(this, type);
  }

  /** Closes idle keep-alive sockets; open watches end when their consumers close them. */
  close(): void {
    this.agent.destroy();
    this.watchAgent.destroy();
  }

  private open(opts: RequestOptions, agent: http.Agent, timeoutMs: number | undefined): Promise<ResponseStream> {
    let payload: string | undefined;
    const headers: Record<string, string> = { ...this.baseHeaders };
    if (opts.accept) headers.Accept = opts.accept;
    if (opts.body !== undefined) {
      payload = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
      headers['Content-Type'] = opts.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(payload));
    }
    if (this.direct) return this.openDirect(opts, headers, payload, timeoutMs);
    return new Promise((resolve, reject) => {
      const req = this.transport.request(
        {
          protocol: this.protocol,
          hostname: this.server.hostname,
          port: this.server.port,
          method: opts.method,
          path: this.pathPrefix + opts.path + encodeQuery(opts.query),
          headers,
          agent,
          signal: opts.signal,
        },
        resolve,
      );
      req.on('error', reject);
      if (timeoutMs) req.setTimeout(timeoutMs, () => req.destroy(new Error(`request ${opts.method} ${opts.path} timed out after ${timeoutMs}ms`)));
      req.end(payload);
    });
  }

  /** The same request handed to the API server in this process (no HTTP bytes); the timeout as over a socket. */
  private openDirect(opts: RequestOptions, headers: Record<string, string>, payload: string | undefined, timeoutMs: number | undefined): Promise<ResponseStream> {
    const sent = this.direct!.send({ method: opts.method, path: this.pathPrefix + opts.path + encodeQuery(opts.query), headers, body: payload, signal: opts.signal });
    if (!timeoutMs) return sent;
    return new Promise((resolve, reject) => {
      let late = false;
      const timer = setTimeout(() => {
        late = true;
        reject(new Error(`request ${opts.method} ${opts.path} timed out after ${timeoutMs}ms`));
      }, timeoutMs);
      sent.then(
        (res) => {
          clearTimeout(timer);
          if (late) res.destroy();
          else resolve(res);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err);
        },
      );
    });
  }

  /** One request; resolves with the parsed JSON body, rejects with ApiError on a non-2xx answer. */
  async request<R>(opts: RequestOptions): Promise<R> {
    const res = await this.open(opts, this.agent, this.requestTimeoutMs);
    const text = await readText(res);
    const code = res.statusCode ?? 0;
    if (code < 200 || code >= 300) throw errorFromResponse(code, text);
    return (text ? JSON.parse(text) : undefined) as R;
  }

  /**
   * A watch: newline-delimited JSON parsed as it streams. An ERROR event ends the
   * stream by throwing its Status as ApiError (410 = resourceVersion too old).
   * Aborting `signal` or calling close() ends the iteration quietly.
   */
  watch<T>(path: string, query: Query, signal?: AbortSignal): WatchStream<T> {
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) controller.abort();
    const open = () => this.open({ method: 'GET', path, query: { ...query, watch: 'true' }, signal: controller.signal }, this.watchAgent, undefined);
    return {
      close: () => controller.abort(),
      [Symbol.asyncIterator]: () => iterateWatch<T>(open, controller.signal, () => signal?.removeEventListener('abort', onAbort)),
    };
  }
}

/** A whole response body as text. */
function readText(res: ResponseStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => (text += chunk));
    res.once('end', () => resolve(text));
    res.once('error', reject);
    // A response cut short (connection dropped) ends with 'close' and no 'end'.
    res.once('close', () => {
      if (!res.readableEnded) reject(new Error('the connection closed before the response was complete'));
    });
  });
}

async function* iterateWatch<T>(
  open: () => Promise<ResponseStream>,
  signal: AbortSignal,
  cleanup: () => void,
): AsyncGenerator<WatchEvent<T>> {
  let res: ResponseStream | undefined;
  try {
    if (signal.aborted) return;
    res = await open();
    const code = res.statusCode ?? 0;
    if (code < 200 || code >= 300) {
      let text = '';
      res.setEncoding('utf8');
      for await (const chunk of res) text += chunk as string;
      throw errorFromResponse(code, text);
    }
    res.setEncoding('utf8');
    let rest = '';
    for await (const chunk of res) {
      const data = rest + (chunk as string);
      let start = 0;
      for (let nl = data.indexOf('\n'); nl >= 0; nl = data.indexOf('\n', start)) {
        const line = data.slice(start, nl);
        start = nl + 1;
        if (line.length === 0 || line === '\r') continue;
        const event = JSON.parse(line) as WatchEvent<T>;
        if (event.type === 'ERROR') throw statusToError(event.object as unknown as Status);
        yield event;
      }
      rest = data.slice(start);
    }
    if (rest.trim()) {
      const event = JSON.parse(rest) as WatchEvent<T>;
      if (event.type === 'ERROR') throw statusToError(event.object as unknown as Status);
      yield event;
    }
  } catch (err) {
    if (signal.aborted) return;
    throw err;
  } finally {
    res?.destroy();
    cleanup();
  }
}

/** Typed access to one resource. `ns` is ignored for cluster-scoped resources; '' lists across namespaces. */
export class ResourceClient<T extends ObjectLike> {
  private readonly base: string;
  readonly apiVersion: string;

  constructor(
    readonly client: KubeClient,
    readonly type: ResourceType<T>,
  ) {
    this.base = type.group === '' ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`;
    this.apiVersion = apiVersionOfResource(type);
  }

  path(ns: string | undefined, name?: string, subresource?: string): string {
    let p = this.base;
    if (this.type.namespaced && ns) p += '/namespaces/' + encodeURIComponent(ns);
    p += '/' + this.type.resource;
    if (name !== undefined) p += '/' + encodeURIComponent(name);
    if (subresource) p += '/' + subresource;
    return p;
  }

  get(ns: string | undefined, name: string): Promise<T> {
    return this.client.request<T>({ method: 'GET', path: this.path(ns, name) });
  }

  async list(ns: string | undefined, opts: ListOptions = {}): Promise<KubeList<T>> {
    const list = await this.client.request<KubeList<T>>({ method: 'GET', path: this.path(ns), query: { ...opts } });
    // Items in a list carry no apiVersion/kind on the wire; fill them so every cached object is self-describing.
    for (const item of list.items ?? []) {
      item.apiVersion ??= this.apiVersion;
      item.kind ??= this.type.kind;
    }
    list.items ??= [];
    return list;
  }

  /** Lists every page (limit 500 per page) and returns the items with the list's resourceVersion. */
  async listAll(ns: string | undefined, opts: Omit<ListOptions, 'continue'> = {}): Promise<{ items: T[]; resourceVersion: string }> {
    const items: T[] = [];
    let cont: string | undefined;
    let resourceVersion = '';
    do {
      const page = await this.list(ns, { limit: 500, ...opts, continue: cont });
      for (const item of page.items) items.push(item);
      cont = page.metadata?.continue || undefined;
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
    } while (cont);
    return { items, resourceVersion };
  }

  watch(ns: string | undefined, opts: WatchOptions = {}): WatchStream<T> {
    const { signal, ...query } = opts;
    return this.client.watch<T>(this.path(ns), { ...query }, signal);
  }

  private writeQuery(opts: WriteOptions | undefined): Query | undefined {
    if (!opts) return undefined;
    return { dryRun: opts.dryRun ? 'All' : undefined, fieldValidation: opts.fieldValidation, fieldManager: opts.fieldManager };
  }

  private withTypeMeta(obj: T): T {
    if (obj.apiVersion && obj.kind) return obj;
    return { ...obj, apiVersion: obj.apiVersion ?? this.apiVersion, kind: obj.kind ?? this.type.kind };
  }

  create(ns: string | undefined, obj: T, opts?: WriteOptions): Promise<T> {
    return this.client.request<T>({ method: 'POST', path: this.path(ns), query: this.writeQuery(opts), body: this.withTypeMeta(obj) });
  }

  update(ns: string | undefined, obj: T, opts?: WriteOptions): Promise<T> {
    return this.client.request<T>({ method: 'PUT', path: this.path(ns, nameOf(obj)), query: this.writeQuery(opts), body: this.withTypeMeta(obj) });
  }

  updateStatus(ns: string | undefined, obj: T, opts?: WriteOptions): Promise<T> {
    return this.client.request<T>({ method: 'PUT', path: this.path(ns, nameOf(obj), 'status'), query: this.writeQuery(opts), body: this.withTypeMeta(obj) });
  }

  patch(ns: string | undefined, name: string, body: unknown, type: PatchType = 'merge', opts: WriteOptions & { subresource?: string } = {}): Promise<T> {
    return this.client.request<T>({
      method: 'PATCH',
      path: this.path(ns, name, opts.subresource),
      query: this.writeQuery(opts),
      body,
      contentType: patchContentType[type],
    });
  }

  /** Returns what the server answers: the object (when finalizers keep it) or a Status. */
  delete(ns: string | undefined, name: string, opts: DeleteOptions = {}): Promise<T | Status> {
    const body: Record<string, unknown> = { kind: 'DeleteOptions', apiVersion: 'v1' };
    if (opts.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = opts.gracePeriodSeconds;
    if (opts.propagationPolicy) body.propagationPolicy = opts.propagationPolicy;
    if (opts.preconditions) body.preconditions = opts.preconditions;
    if (opts.dryRun) body.dryRun = ['All'];
    return this.client.request<T | Status>({ method: 'DELETE', path: this.path(ns, name), body });
  }

  getScale(ns: string | undefined, name: string): Promise<Scale> {
    return this.client.request<Scale>({ method: 'GET', path: this.path(ns, name, 'scale') });
  }

  updateScale(ns: string | undefined, name: string, scale: Scale): Promise<Scale> {
    const body = { apiVersion: 'autoscaling/v1', kind: 'Scale', ...scale };
    return this.client.request<Scale>({ method: 'PUT', path: this.path(ns, name, 'scale'), body });
  }

  /** POST to a subresource, e.g. pods/binding or pods/eviction. */
  createSubresource<R = unknown>(ns: string | undefined, name: string, subresource: string, body: unknown): Promise<R> {
    return this.client.request<R>({ method: 'POST', path: this.path(ns, name, subresource), body });
  }
}

function nameOf(obj: ObjectLike): string {
  const name = obj.metadata?.name;
  if (!name) throw new Error('object has no metadata.name');
  return name;
}
