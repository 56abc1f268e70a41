// The agent's half of `kubectl exec`, `attach` and `port-forward`: the kubelet's /exec, /attach and
// /portForward endpoints. The agent checks the pod and container, asks the runtime (CRI Exec, Attach,
// PortForward) for a one-use URL on its stream server, then forwards the client's upgrade request there
// and pipes the two connections. The streaming protocol itself (SPDY or websocket channels, their
// version negotiation, exit codes on the error stream) runs end to end between kubectl and the runtime.
import type { IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { PodRuntime, StdioSpec } from '../../runtime/runtime.js';

/** What the streaming endpoints need from the agent. */
export interface StreamingHost {
  runtime: PodRuntime;
  /** The uid of a pod this node runs, by namespace and name. */
  podUid(namespace: string, name: string): string | undefined;
}

export type StreamKind = 'exec' | 'attach' | 'portForward';

/** A streaming request as the kubelet's URL carries it: /exec/<ns>/<pod>[/<uid>]/<container>?command=..&input=1.. */
export interface StreamTarget {
  kind: StreamKind;
  namespace: string;
  pod: string;
  uid?: string;
  container?: string;
  command: string[];
  stdio: StdioSpec;
  ports: number[];
}

/** An answer that ends the request before any upgrade: status and the plain-text message the kubelet writes. */
export class StreamRefusal extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'StreamRefusal';
  }
}

const KINDS: Record<string, StreamKind> = { exec: 'exec', attach: 'attach', portForward: 'portForward' };

/** True for the paths the streaming endpoints own. */
export function isStreamingPath(pathname: string): boolean {
  const first = pathname.split('/')[1] ?? '';
  return first in KINDS;
}

/**
 * Reads the target from the URL the way the kubelet does: tty drops stderr (a terminal merges it into
 * stdout), and exec or attach must carry at least one stream.
 */
export function parseStreamTarget(pathname: string, query: URLSearchParams): StreamTarget {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const kind = KINDS[parts[0] ?? ''];
  if (!kind) throw new StreamRefusal(404, 'not found');
  const on = (k: string) => query.get(k) === '1' || query.get(k) === 'true';
  const tty = on('tty');
  const stdio: StdioSpec = { stdin: on('input'), stdout: on('output'), stderr: on('error') && !tty, tty };
  const ports = query.getAll('port').flatMap((p) => p.split(',')).filter(Boolean).map(Number);
  if (ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) throw new StreamRefusal(400, `invalid port in ${query.getAll('port').join(',')}`);
  if (kind === 'portForward') {
    if (parts.length !== 3 && parts.length !== 4) throw new StreamRefusal(404, 'not found');
    return { kind, namespace: parts[1]!, pod: parts[2]!, uid: parts[3], command: [], stdio, ports };
  }
  if (parts.length !== 4 && parts.length !== 5) throw new StreamRefusal(404, 'not found');
  const [, namespace, pod] = parts as [string, string, string];
  const uid = parts.length === 5 ? parts[3] : undefined;
  const container = parts[parts.length - 1]!;
  if (!stdio.stdin && !stdio.stdout && !stdio.stderr) throw new StreamRefusal(400, 'you must specify at least 1 of stdin, stdout, stderr');
  const command = query.getAll('command');
  if (kind === 'exec' && command.length === 0) throw new StreamRefusal(400, 'you must specify a command');
  return { kind, namespace, pod, uid, container, command, stdio, ports };
}

/**
 * The websocket subprotocols the CRI stream server (the kubelet's streaming library, vendored by
 * containerd) accepts for each kind; a handshake without a Sec-WebSocket-Protocol is accepted too.
 * It knows neither `v5.channel.k8s.io` nor `SPDY/3.1+portforward.k8s.io`: kubectl asks for those first
 * and falls back to SPDY when the handshake fails.
 */
export const RUNTIME_WEBSOCKET_PROTOCOLS: Record<StreamKind, string[]> = {
  exec: ['channel.k8s.io', 'base64.channel.k8s.io', 'v4.channel.k8s.io', 'v4.base64.channel.k8s.io'],
  attach: ['channel.k8s.io', 'base64.channel.k8s.io', 'v4.channel.k8s.io', 'v4.base64.channel.k8s.io'],
  portForward: ['v4.channel.k8s.io', 'v4.base64.channel.k8s.io'],
};

/**
 * Refuses a websocket handshake the stream server would refuse, with the answer it gives (403), before a
 * stream URL is spent on it: containerd 1.6 keeps a goroutine per refused handshake alive.
 */
export function checkWebsocketProtocols(kind: StreamKind, headers: IncomingMessage['headers']): void {
  if (String(headers.upgrade ?? '').toLowerCase() !== 'websocket') return;
  const requested = String(headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim()).filter(Boolean);
  const supported = RUNTIME_WEBSOCKET_PROTOCOLS[kind];
  if (requested.length === 0 || requested.some((p) => supported.includes(p))) return;
  throw new StreamRefusal(403, `requested protocol(s) are not supported: [${requested.join(' ')}]; supports [${supported.join(' ')}]`);
}

/** What a stream enters: a running container (exec, attach) or a ready sandbox (port-forward). */
export type StreamSubject = { kind: 'container'; id: string } | { kind: 'sandbox'; id: string };

/** Finds what a target enters, after the checks the kubelet makes; StreamRefusal when they fail. */
export async function resolveSubject(host: StreamingHost, target: StreamTarget): Promise<StreamSubject> {
  const uid = host.podUid(target.namespace, target.pod);
  if (!uid || (target.uid && target.uid !== uid)) throw new StreamRefusal(404, 'pod does not exist');
  const sandboxes = (await host.runtime.listSandboxes()).filter((s) => s.uid === uid);
  if (target.kind === 'portForward') {
    const ready = sandboxes.filter((s) => s.state === 'ready').sort((a, b) => b.createdAt - a.createdAt)[0];
    if (!ready) throw new StreamRefusal(500, `pod not found ("${target.pod}_${target.namespace}")`);
    return { kind: 'sandbox', id: ready.id };
  }
  // Only a running container can be entered: the newest running one of that name (regular or init).
  let running: { id: string; createdAt: number } | undefined;
  for (const sb of sandboxes) {
    for (const c of await host.runtime.listContainers({ sandboxId: sb.id })) {
      if (c.name === target.container && c.state === 'running' && (!running || c.createdAt > running.createdAt)) running = c;
    }
  }
  if (!running) throw new StreamRefusal(500, `container not found ("${target.container}")`);
  return { kind: 'container', id: running.id };
}

/** Asks the runtime for the one-use stream URL. */
export function openStream(runtime: PodRuntime, target: StreamTarget, subject: StreamSubject): Promise<string> {
  if (target.kind === 'portForward') return runtime.portForwardStream(subject.id, target.ports);
  if (target.kind === 'exec') return runtime.execStream(subject.id, target.command, target.stdio);
  return runtime.attachStream(subject.id, target.stdio);
}

/** Headers never passed on to the runtime: the caller's credentials and hop-by-hop framing we rewrite. */
const DROPPED_HEADERS = new Set(['host', 'authorization', 'proxy-authorization']);

/** The request head for `url`, carrying the client's own headers (upgrade, protocol versions, websocket key). */
export function forwardedHead(req: IncomingMessage, url: URL): string {
  const lines = [`${req.method ?? 'GET'} ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    if (DROPPED_HEADERS.has(name.toLowerCase()) || name.toLowerCase().startsWith('impersonate-')) continue;
    lines.push(`${name}: ${req.rawHeaders[i + 1]}`);
  }
  return lines.join('\r\n') + '\r\n\r\n';
}

/** Writes a complete plain-text HTTP answer on a socket that was never upgraded, then closes it. */
export function refuse(socket: Duplex, status: number, message: string, contentType = 'text/plain; charset=utf-8'): void {
  const body = Buffer.from(message.endsWith('\n') || contentType.includes('json') ? message : message + '\n');
  const reason = STATUS_TEXT[status] ?? 'Error';
  if (socket.destroyed) return;
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: ${contentType}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body.toString('latin1')}`, 'latin1');
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable',
};

/** Pipes two connections both ways; when either ends or fails, the other is closed too. */
export function splice(a: Duplex, b: Duplex): void {
  const close = () => {
    a.destroy();
    b.destroy();
  };
  a.on('error', close);
  b.on('error', close);
  a.on('close', close);
  b.on('close', close);
  a.pipe(b);
  b.pipe(a);
}

/**
 * Serves one upgrade request on the agent's endpoint: resolves the stream URL, connects to the runtime's
 * stream server and forwards the request there. The runtime's answer (101 and the protocol, or its error)
 * goes back to the client unchanged.
 */
export async function serveStream(host: StreamingHost, req: IncomingMessage, socket: Duplex, head: Buffer, log: (line: string) => void): Promise<void> {
  const url = new URL(req.url ?? '/', 'https://node');
  let target: URL;
  try {
    const parsed = parseStreamTarget(url.pathname, url.searchParams);
    const subject = await resolveSubject(host, parsed);
    checkWebsocketProtocols(parsed.kind, req.headers);
    target = new URL(await openStream(host.runtime, parsed, subject));
  } catch (err) {
    if (err instanceof StreamRefusal) return refuse(socket, err.status, err.message);
    const message = (err as { details?: string }).details ?? (err as Error).message;
    log(`streaming ${url.pathname}: ${message}`);
    return refuse(socket, 500, message);
  }
  if (target.protocol !== 'http:') return refuse(socket, 500, `unsupported stream server URL ${target.protocol}//${target.host} (TLS streaming is not configured)`);
  const upstream: Socket = connect({ host: target.hostname, port: Number(target.port || 80) });
  let connected = false;
  upstream.once('connect', () => {
    connected = true;
    upstream.setNoDelay(true);
    upstream.write(forwardedHead(req, target));
    if (head.length) upstream.write(head);
    splice(socket, upstream);
  });
  upstream.once('error', (err) => {
    if (connected) return;
    log(`streaming: stream server ${target.host}: ${err.message}`);
    refuse(socket, 500, `error dialing the runtime's stream server: ${err.message}`);
  });
}
