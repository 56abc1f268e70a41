// The API server: HTTPS, authentication, health, discovery, OpenAPI and the generic REST
// handlers over the registry's ResourceDefinitions. Everything it needs is passed in.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { ApiError, errors } from '../api/errors.js';
import type { Logger } from '../api/log.js';
import type { Store } from '../storage/store.js';
import type { Authenticator } from './auth/authn.js';
import type { KeyPair } from './certs/pki.js';
import type { PatchFn, SchemaCatalog } from './deps.js';
import { Discovery, versionInfo, wantsAggregated } from './discovery/index.js';
import { negotiate, parseAccept } from './http/media.js';
import { parsePath } from './http/requestinfo.js';
import { sendError, sendObject, sendText } from './http/respond.js';
import { PodLogProxy } from './logs.js';
import { ensureSystemNamespaces, NamespaceLifecycle } from './namespaces.js';
import type { ResourceDefinition } from './registry/types.js';
import { notFoundPath, ResourceHandler } from './rest/handlers.js';
import { ObjectService } from './rest/objects.js';
import { ResourceIndex } from './resources.js';
import { ServiceAllocator, type ServiceNetworkOptions } from './services/allocator.js';
import { publishApiServer } from './services/kubernetes.js';
import { firstAddress } from './services/ranges.js';
import { PodStreamProxy } from './streaming.js';
import { defaultWatchSettings, type WatchSettings } from './watch/stream.js';

export interface ApiServerConfig {
  store: Store;
  resources: ResourceDefinition[];
  schema: SchemaCatalog;
  applyPatch: PatchFn;
  authenticate: Authenticator;
  log: Logger;
  now?: () => Date;
  watch?: Partial<WatchSettings>;
  /** Client certificate the server presents to node agents for pods/log. */
  kubeletClient?: KeyPair;
  namespaceRetryMs?: number;
  /** APIs served beside the registry's (metrics.k8s.io/v1beta1): each answers the paths it owns. */
  extraApis?: ExtraApi[];
  /** The service CIDR and node-port range Services draw from (defaults as kubeadm's). */
  serviceNetwork?: ServiceNetworkOptions;
  /**
   * How often the `kubernetes` Service, its Endpoints and EndpointSlice are put back as they should be
   * (recreated when deleted): kube-apiserver's endpoint reconciler runs every 10 s.
   */
  kubernetesServiceReconcileMs?: number;
}

/** An API group served by its own handler rather than the generic registry. */
export interface ExtraApi {
  groupDiscovery: object;
  aggregatedDiscoveryEntry: object;
  handle(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<boolean>;
}

const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

/** gnostic's openapi_v2.Document { swagger: "2.0" (1), info (2) { title (1), version (2) } } on the protobuf wire. */
const MINIMAL_OPENAPI_V2_PROTOBUF: Buffer = (() => {
  const field = (num: number, bytes: Buffer): Buffer => Buffer.concat([Buffer.from([(num << 3) | 2, bytes.length]), bytes]);
  const info = Buffer.concat([field(1, Buffer.from('Kubernetes')), field(2, Buffer.from('v1.32.0'))]);
  return Buffer.concat([field(1, Buffer.from('2.0')), field(2, info)]);
})();

export interface TlsConfig {
  ca: string;
  cert: string;
  key: string;
}

export interface ListenOptions {
  address: string;
  port: number;
  tls: TlsConfig;
}

export interface RunningApiServer {
  /** e.g. https://127.0.0.1:6443 */
  url: string;
  port: number;
  service: ObjectService;
  close(): Promise<void>;
}

/** Path and query of a request target; cheaper than WHATWG URL on the hot path. */
export function parseRequestUrl(target: string): { pathname: string; searchParams: URLSearchParams } {
  const q = target.indexOf('?');
  const pathname = q < 0 ? target : target.slice(0, q);
  return { pathname: pathname || '/', searchParams: new URLSearchParams(q < 0 ? '' : target.slice(q + 1)) };
}

const HEALTH_CHECKS = ['ping', 'log', 'etcd', 'poststarthook/bootstrap-namespaces'];

export class ApiServer {
  readonly index: ResourceIndex;
  readonly service: ObjectService;
  private readonly discovery: Discovery;
  private readonly resources: ResourceHandler;
  private readonly lifecycle: NamespaceLifecycle;
  /** Cluster IPs and node ports of Services (absent when Services are not served). */
  readonly serviceAllocator?: ServiceAllocator;
  /** pods/exec, pods/attach, pods/portforward (needs the kubelet-client certificate). */
  private readonly streams?: PodStreamProxy;
  private ready = false;
  private shuttingDown = false;
  private serverAddress = '127.0.0.1:6443';
  private selfReconcile?: NodeJS.Timeout;

  constructor(private readonly cfg: ApiServerConfig) {
    const now = cfg.now ?? (() => new Date());
    this.index = new ResourceIndex(cfg.resources);
    const allocations = new Map<string, ServiceAllocator>();
    if (this.index.lookup('', 'v1', 'services')) {
      this.serviceAllocator = new ServiceAllocator(cfg.serviceNetwork);
      allocations.set('/services', this.serviceAllocator);
    }
    this.service = new ObjectService({ store: cfg.store, index: this.index, schema: cfg.schema, applyPatch: cfg.applyPatch, now, log: cfg.log, allocations });
    this.discovery = new Discovery(this.index, cfg.extraApis ?? []);
    this.resources = new ResourceHandler({
      index: this.index,
      service: this.service,
      watch: { ...defaultWatchSettings, ...cfg.watch },
      log: cfg.log.child('watch'),
      logs: cfg.kubeletClient ? new PodLogProxy(this.service, this.index, cfg.kubeletClient) : undefined,
    });
    if (cfg.kubeletClient) this.streams = new PodStreamProxy(this.service, this.index, cfg.kubeletClient, cfg.authenticate, cfg.log.child('streams'));
    this.lifecycle = new NamespaceLifecycle(this.service, this.index, cfg.log.child('namespaces'), { retryMs: cfg.namespaceRetryMs ?? 1000 });
  }

  /** Bootstraps system namespaces and starts the in-process loops; then /readyz answers ok. */
  async start(): Promise<void> {
    await ensureSystemNamespaces(this.service, this.index);
    const services = this.index.lookup('', 'v1', 'services');
    if (services) await this.serviceAllocator?.start(this.cfg.store, services, this.cfg.log.child('services'));
    await this.lifecycle.start();
    this.ready = true;
  }

  stop(): void {
    this.shuttingDown = true;
    clearInterval(this.selfReconcile);
    this.lifecycle.stop();
    this.serviceAllocator?.stop();
    this.resources.endWatches();
    this.streams?.closeAll();
  }

  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    const started = performance.now();
    this.route(req, res).then(
      () => this.logRequest(req, res, started),
      (err: unknown) => {
        if (err instanceof ApiError) sendError(res, err);
        else {
          this.cfg.log.error('request failed', { method: req.method, url: req.url, err: (err as Error)?.stack ?? String(err) });
          sendError(res, errors.internal((err as Error)?.message ?? String(err), err));
        }
        this.logRequest(req, res, started);
      },
    );
  };

  private logRequest(req: IncomingMessage, res: ServerResponse, started: number): void {
    if (res.statusCode < 500 && this.cfg.log.isEnabled?.('debug') === false) return;
    if (res.statusCode >= 500) {
      this.cfg.log.warn('request', { method: req.method, url: req.url, code: res.statusCode, ms: (performance.now() - started).toFixed(1) });
    } else {
      this.cfg.log.debug('request', { method: req.method, url: req.url, code: res.statusCode, ms: (performance.now() - started).toFixed(1) });
    }
  }

  private health(res: ServerResponse, path: string, url: { searchParams: URLSearchParams }): void {
    const name = path.slice(1);
    const ok = name === 'livez' ? !this.shuttingDown || true : this.ready && !this.shuttingDown;
    if (url.searchParams.has('verbose')) {
      const lines = HEALTH_CHECKS.map((c) => (c === 'poststarthook/bootstrap-namespaces' && !this.ready ? `[-]${c} failed: not finished` : `[+]${c} ok`));
      if (name === 'readyz') lines.push(this.shuttingDown ? '[-]shutdown failed: process is shutting down' : '[+]shutdown ok');
      lines.push(ok ? `${name} check passed` : `${name} check failed`);
      return sendText(res, ok ? 200 : 500, lines.join('\n') + '\n');
    }
    sendText(res, ok ? 200 : 500, ok ? 'ok' : `${name} check failed`);
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = parseRequestUrl(req.url ?? '/');
    const path = url.pathname.length > 1 && url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;
    if (path === '/livez' || path === '/readyz' || path === '/healthz' || path.startsWith('/livez/') || path.startsWith('/readyz/') || path.startsWith('/healthz/')) {
      return this.health(res, '/' + path.split('/')[1], url);
    }
    const user = this.cfg.authenticate(req);
    if (!user) {
      req.resume();
      return sendError(res, errors.unauthorized());
    }
    const method = req.method ?? 'GET';
    if (path === '/version') return sendObject(res, 200, versionInfo());
    if (path.startsWith('/openapi')) return this.openapi(req, res, path);
    for (const extra of this.cfg.extraApis ?? []) if (await extra.handle(req, res, path, url.searchParams)) return;

    const parsed = parsePath(path);
    switch (parsed.kind) {
      case 'root': {
        if (method !== 'GET') throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
        const agg = wantsAggregated(req.headers.accept);
        if (agg) {
          return sendObject(res, 200, this.discovery.aggregated(parsed.core, agg), 'json', {
            contentType: `application/json;g=apidiscovery.k8s.io;v=${agg};as=APIGroupDiscoveryList`,
          });
        }
        return sendObject(res, 200, parsed.core ? this.discovery.apiVersions(this.serverAddress) : this.discovery.apiGroupList());
      }
      case 'group': {
        const g = this.index.groups().find((x) => x.group === parsed.group);
        if (!g) throw notFoundPath();
        const versions = g.versions.map((v) => ({ groupVersion: `${g.group}/${v}`, version: v }));
        return sendObject(res, 200, { kind: 'APIGroup', apiVersion: 'v1', name: g.group, versions, preferredVersion: versions[0] });
      }
      case 'groupVersion': {
        const list = this.discovery.resourceList(parsed.group, parsed.version);
        if (!list) throw notFoundPath();
        return sendObject(res, 200, list);
      }
      case 'resource':
        if (this.streams?.owns(parsed.req)) return this.streams.plainRequest(method, parsed.req, url.searchParams);
        return this.resources.handle(req, res, url, parsed.req);
      default:
        throw notFoundPath();
    }
  }

  private openapi(req: IncomingMessage, res: ServerResponse, path: string): void {
    const { schema } = this.cfg;
    if (path === '/openapi/v2') {
      const ranges = parseAccept(req.headers.accept);
      // kubectl asks for the protobuf form first; we only speak JSON, so say so when JSON is not acceptable.
      if (ranges.length > 0 && !ranges.some((r) => r.type === 'application/json' || r.type === '*/*' || r.type === 'application/*')) {
        if (ranges.some((r) => r.type === OPENAPI_V2_PROTOBUF)) {
          // kubectl falls back to this document for kinds the v3 documents lack (e.g. the seed's
          // extensions/v1beta1 manifests). Its answer for such kinds is "no matches for kind",
          // which needs a valid document, not a 406; ours names no types (the JSON form has them).
          // The reply names the type without '@', which Go's media-type parser rejects.
          res.writeHead(200, { 'Content-Type': 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf', 'Content-Length': MINIMAL_OPENAPI_V2_PROTOBUF.length });
          res.end(MINIMAL_OPENAPI_V2_PROTOBUF);
          return;
        }
        throw errors.notAcceptable('only the following media types are accepted: application/json');
      }
      return sendObject(res, 200, schema.openapiV2());
    }
    if (path === '/openapi/v3') return sendObject(res, 200, schema.openapiV3Root());
    if (path.startsWith('/openapi/v3/')) {
      const doc = schema.openapiV3(path.slice('/openapi/v3/'.length));
      if (!doc) throw notFoundPath();
      if (!negotiate(req.headers.accept, false) && !parseAccept(req.headers.accept).some((r) => r.type === 'application/json')) {
        throw errors.notAcceptable('only the following media types are accepted: application/json');
      }
      return sendObject(res, 200, doc, 'json', { contentType: 'application/json' });
    }
    throw notFoundPath();
  }

  private async publishSelf(address: string, port: number): Promise<void> {
    if (!this.serviceAllocator) return;
    try {
      await publishApiServer(this.service, this.index, firstAddress(this.serviceAllocator.ipRange), address, port);
    } catch (err) {
      this.cfg.log.error('cannot publish the kubernetes Service', { err: (err as Error).message });
    }
  }

  /** Listens on HTTPS; client certificates are requested and verified against the CA when offered. */
  listen(opts: ListenOptions): Promise<RunningApiServer> {
    const server: Server = createHttpsServer(
      {
        ca: opts.tls.ca,
        cert: opts.tls.cert,
        key: opts.tls.key,
        requestCert: true,
        rejectUnauthorized: false,
        keepAlive: true,
        keepAliveTimeout: 65_000,
        // Watches are long-lived; requestTimeout would cut them.
        requestTimeout: 0,
        headersTimeout: 60_000,
      },
      this.handle,
    );
    server.keepAliveTimeout = 65_000;
    if (this.streams) server.on('upgrade', this.streams.upgrade);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.address, () => {
        server.off('error', reject);
        const port = (server.address() as AddressInfo).port;
        const host = opts.address.includes(':') ? `[${opts.address}]` : opts.address;
        this.serverAddress = `${host}:${port}`;
        const running: RunningApiServer = {
          url: `https://${host}:${port}`,
          port,
          service: this.service,
          close: () =>
            new Promise<void>((done) => {
              this.stop();
              server.close(() => done());
              // Let the ended watch streams flush, then drop idle keep-alive connections.
              setImmediate(() => server.closeAllConnections());
            }),
        };
        // kube-apiserver's own Service and endpoints, published before anyone is told we are up, then
        // kept so: a deleted `kubernetes` Service comes back, with its cluster IP, Endpoints and slice.
        this.publishSelf(opts.address, port).finally(() => {
          let busy = false;
          if (this.serviceAllocator && !this.shuttingDown) {
            this.selfReconcile = setInterval(() => {
              if (busy || this.shuttingDown) return;
              busy = true;
              void this.publishSelf(opts.address, port).finally(() => (busy = false));
            }, this.cfg.kubernetesServiceReconcileMs ?? 10_000);
            this.selfReconcile.unref();
          }
          resolve(running);
        });
      });
    });
  }
}
