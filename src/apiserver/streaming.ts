// pods/exec, pods/attach and pods/portforward: the API server checks the request (pod, container, node),
// then forwards the client's upgrade request to the node agent's kubelet endpoint
//   https://<node InternalIP>:<kubeletEndpoint.Port>/{exec,attach}/<ns>/<pod>/<container>?command=..&input=1&output=1&error=1&tty=1
//   https://<node InternalIP>:<kubeletEndpoint.Port>/portForward/<ns>/<pod>
// with its kubelet-client certificate, and pipes the two connections. Nothing of the streaming protocol is
// interpreted here: kubectl's negotiation (websocket v5 first, then SPDY with its protocol versions) reaches
// the runtime's stream server and its answer comes back unchanged, as through a Kubernetes API server that
// proxies upgrades rather than translating them.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { ApiError, errors } from '../api/errors.js';
import type { Logger } from '../api/log.js';
import type { KubeObject } from '../api/types.js';
import type { Authenticator } from './auth/authn.js';
import type { KeyPair } from './certs/pki.js';
import { parsePath, type ResourceRequest } from './http/requestinfo.js';
import type { ObjectService } from './rest/objects.js';
import type { ResourceIndex } from './resources.js';

/** The kubelet's path segment for each connect subresource. */
const NODE_PATHS: Record<string, string> = { exec: 'exec', attach: 'attach', portforward: 'portForward' };

interface PodShape {
  metadata?: { namespace?: string; name?: string };
  spec?: { nodeName?: string; containers?: { name: string }[]; initContainers?: { name: string }[]; ephemeralContainers?: { name: string }[] };
}
interface NodeShape {
  status?: { addresses?: { type: string; address: string }[]; daemonEndpoints?: { kubeletEndpoint?: { Port?: number } } };
}

/** Where a checked streaming request goes on the node. */
export interface NodeStreamTarget {
  host: string;
  port: number;
  /** Path and query on the kubelet endpoint. */
  path: string;
}

/** Go's strconv.ParseBool, as query parameters are converted to PodExecOptions' booleans. */
function queryBool(q: URLSearchParams, key: string): boolean {
  const v = q.get(key);
  if (v === null) return false;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['', '0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  throw errors.badRequest(`strconv.ParseBool: parsing "${v}": invalid syntax`);
}

/** The kubelet's query for a subresource's options: PodExecOptions and PodAttachOptions, or PodPortForwardOptions. */
export function nodeStreamQuery(sub: string, q: URLSearchParams): URLSearchParams {
  const out = new URLSearchParams();
  if (sub === 'portforward') {
    for (const raw of q.getAll('ports').flatMap((p) => p.split(','))) {
      const port = Number(raw);
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw errors.badRequest(`invalid port ${JSON.stringify(raw)}: must be 1-65535`);
      out.append('port', String(port));
    }
    return out;
  }
  if (queryBool(q, 'stdin')) out.set('input', '1');
  if (queryBool(q, 'stdout')) out.set('output', '1');
  if (queryBool(q, 'stderr')) out.set('error', '1');
  if (queryBool(q, 'tty')) out.set('tty', '1');
  if (sub === 'exec') for (const c of q.getAll('command')) out.append('command', c);
  return out;
}

/** Picks the container as Kubernetes does: the named one must exist; unnamed means the only one. */
export function chooseContainer(pod: PodShape, name: string, requested: string): string {
  const spec = pod.spec ?? {};
  const regular = (spec.containers ?? []).map((c) => c.name);
  const init = (spec.initContainers ?? []).map((c) => c.name);
  const ephemeral = (spec.ephemeralContainers ?? []).map((c) => c.name);
  if (requested) {
    if (![...regular, ...init, ...ephemeral].includes(requested)) throw errors.badRequest(`container ${requested} is not valid for pod ${name}`);
    return requested;
  }
  if (regular.length === 1) return regular[0]!;
  if (regular.length === 0) throw errors.badRequest(`a container name must be specified for pod ${name}`);
  let message = `a container name must be specified for pod ${name}, choose one of: [${regular.join(' ')}]`;
  if (init.length) message += ` or one of the init containers: [${init.join(' ')}]`;
  throw errors.badRequest(message);
}

/** Headers that stay here: the caller's credentials (never shown to a node) and the Host we rewrite. */
function forwardable(name: string): boolean {
  const n = name.toLowerCase();
  return n !== 'host' && n !== 'authorization' && n !== 'proxy-authorization' && !n.startsWith('impersonate-');
}

/** A complete HTTP answer on a socket that was not upgraded: the Status of an error, then close. */
export function writeStatus(socket: Duplex, err: ApiError): void {
  if (socket.destroyed) return;
  const body = JSON.stringify(err.toStatus());
  socket.end(
    `HTTP/1.1 ${err.code} ${STATUS_TEXT[err.code] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  500: 'Internal Server Error', 503: 'Service Unavailable',
};

export class PodStreamProxy {
  /** Upgraded connections, closed when the server stops. */
  private readonly open = new Set<Duplex>();

  constructor(
    private readonly service: ObjectService,
    private readonly index: ResourceIndex,
    private readonly clientCert: KeyPair,
    private readonly authenticate: Authenticator,
    private readonly log: Logger,
  ) {}

  /** True for a request to one of the connect subresources this proxy serves. */
  owns(rr: ResourceRequest): boolean {
    if (rr.subresource === undefined || !rr.name || !rr.namespace) return false;
    const r = this.index.lookup(rr.group, rr.version, rr.resource);
    return !!r?.def.subresources.connect?.some((c) => c.name === rr.subresource);
  }

  /** A connect subresource asked for without an upgrade: checked like any other, then refused. */
  async plainRequest(method: string, rr: ResourceRequest, query: URLSearchParams): Promise<never> {
    if (method !== 'GET' && method !== 'POST') throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
    await this.locate(rr, query);
    throw errors.badRequest('Upgrade request required');
  }

  /** Resolves pod, container and node for a request; ApiError when any of them is missing. */
  async locate(rr: ResourceRequest, query: URLSearchParams): Promise<NodeStreamTarget> {
    const sub = rr.subresource!;
    const ns = rr.namespace!;
    const name = rr.name!;
    const pods = this.index.lookup(rr.group, rr.version, rr.resource)!;
    const pod = (await this.service.get(pods, ns, name)) as KubeObject & PodShape;
    const params = nodeStreamQuery(sub, query);
    let path: string;
    if (sub === 'portforward') {
      path = `/portForward/${encodeURIComponent(ns)}/${encodeURIComponent(name)}`;
    } else {
      const container = chooseContainer(pod, name, query.get('container') ?? '');
      path = `/${NODE_PATHS[sub]}/${encodeURIComponent(ns)}/${encodeURIComponent(name)}/${encodeURIComponent(container)}`;
    }
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) throw errors.badRequest(`pod ${name} does not have a host assigned`);
    const nodes = this.index.lookup('', 'v1', 'nodes');
    if (!nodes) throw errors.notFound({ group: '', resource: 'nodes' }, nodeName);
    const node = (await this.service.get(nodes, undefined, nodeName)) as KubeObject & NodeShape;
    const host = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
    const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port;
    if (!host || !port) {
      throw new ApiError(503, 'ServiceUnavailable', `node "${nodeName}" has no kubelet endpoint (status.addresses InternalIP and status.daemonEndpoints.kubeletEndpoint.Port)`);
    }
    return { host, port, path: params.size ? `${path}?${params}` : path };
  }

  /** The HTTPS server's 'upgrade' listener. Upgrades other than the connect subresources are refused. */
  readonly upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    this.serve(req, socket, head).catch((err: unknown) => {
      if (err instanceof ApiError) return writeStatus(socket, err);
      this.log.error('stream request failed', { url: req.url, err: (err as Error)?.stack ?? String(err) });
      writeStatus(socket, errors.internal((err as Error)?.message ?? String(err), err));
    });
  };

  /** Ends every upgraded connection (the server is stopping). */
  closeAll(): void {
    for (const s of this.open) s.destroy();
    this.open.clear();
  }

  private async serve(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    if (!this.authenticate(req)) throw errors.unauthorized();
    const target = req.url ?? '/';
    const q = target.indexOf('?');
    const parsed = parsePath(q < 0 ? target : target.slice(0, q));
    const query = new URLSearchParams(q < 0 ? '' : target.slice(q + 1));
    if (parsed.kind !== 'resource' || !this.owns(parsed.req)) {
      throw errors.badRequest(`the server does not support upgrading ${q < 0 ? target : target.slice(0, q)}`);
    }
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'POST') throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
    const node = await this.locate(parsed.req, query);
    this.log.debug('stream', { subresource: parsed.req.subresource, pod: `${parsed.req.namespace}/${parsed.req.name}`, node: `${node.host}:${node.port}` });
    await this.forward(req, socket, head, node);
  }

  /** Connects to the node with the kubelet-client certificate, sends the request on and pipes both ways. */
  private forward(req: IncomingMessage, socket: Duplex, head: Buffer, node: NodeStreamTarget): Promise<void> {
    return new Promise((resolve, reject) => {
      const upstream: TLSSocket = tlsConnect({
        host: node.host, port: node.port, cert: this.clientCert.cert, key: this.clientCert.key,
        // The agent's serving certificate is self-signed; the agent verifies us, as for pods/log.
        rejectUnauthorized: false, ALPNProtocols: ['http/1.1'],
      });
      let connected = false;
      upstream.once('secureConnect', () => {
        connected = true;
        upstream.setNoDelay(true);
        const lines = [`${req.method ?? 'GET'} ${node.path} HTTP/1.1`, `Host: ${node.host.includes(':') ? `[${node.host}]` : node.host}:${node.port}`];
        for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
          if (forwardable(req.rawHeaders[i]!)) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
        }
        upstream.write(lines.join('\r\n') + '\r\n\r\n');
        if (head.length) upstream.write(head);
        this.open.add(socket);
        const close = () => {
          this.open.delete(socket);
          socket.destroy();
          upstream.destroy();
        };
        for (const s of [socket, upstream]) {
          s.on('error', close);
          s.on('close', close);
        }
        socket.pipe(upstream);
        upstream.pipe(socket);
        resolve();
      });
      upstream.once('error', (err) => {
        if (connected) return;
        reject(errors.internal(`error dialing backend: ${err.message}`, err));
      });
      socket.once('close', () => {
        if (connected) return;
        upstream.destroy();
        reject(errors.internal('the client went away before the stream was set up'));
      });
    });
  }
}
