// The simulated nodes' kubelet endpoint on 127.0.0.1: `/containerLogs` (the API server
// proxies `kubectl logs` here, finding the port in the node's
// status.daemonEndpoints.kubeletEndpoint.Port) and `/stats/summary` (the metrics scraper).
// Every node shares 127.0.0.1, so each gets its own port — a summary is per node. The
// certificate is self-signed, made with the openssl CLI; clients do not verify it.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What the server needs to answer for one container, or undefined when there is no such container. */
export type LogSource = (namespace: string, pod: string, container: string) => string[] | undefined;

/** A node's `/stats/summary` answer (any JSON-serialisable Summary), or undefined when it cannot answer. */
export type SummarySource = (nodeName: string) => unknown;

export interface LogServerOptions {
  /** One port per node name; without names, a single port. */
  nodeNames?: string[];
  summary?: SummarySource;
}

export interface LogServer {
  /** The first (or only) port. */
  port: number;
  /** The port serving this node. */
  portOf(nodeName: string): number | undefined;
  close(): Promise<void>;
}

async function selfSignedCert(): Promise<{ cert: string; key: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'kujira-sim-tls-'));
  try {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-subj', '/CN=kujira-sim', '-days', '3650', '-addext', 'subjectAltName=IP:127.0.0.1']);
    return { cert: await readFile(cert, 'utf8'), key: await readFile(key, 'utf8') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function notFound(res: ServerResponse, message = '404 page not found'): void {
  res.writeHead(404, { 'Content-Type': 'text/plain' });
  res.end(message + '\n');
}

export async function startLogServer(source: LogSource, options: LogServerOptions = {}): Promise<LogServer> {
  const tls = await selfSignedCert();
  const serve = (nodeName: string | undefined) => (req: { method?: string; url?: string }, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    if (req.method === 'GET' && url.pathname === '/stats/summary' && nodeName !== undefined && options.summary) {
      const summary = options.summary(nodeName);
      if (summary === undefined) {
        res.writeHead(503, { 'Content-Type': 'text/plain' });
        res.end(`node "${nodeName}" is not running\n`);
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(summary));
      return;
    }
    const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (req.method !== 'GET' || !m) return notFound(res);
    const [ns, pod, container] = [m[1]!, m[2]!, m[3]!].map(decodeURIComponent) as [string, string, string];
    const lines = source(ns, pod, container);
    if (!lines) return notFound(res, `container "${container}" in pod "${pod}" is not available`);
    let out = lines;
    const tail = url.searchParams.get('tailLines');
    if (tail !== null && Number(tail) >= 0) out = out.slice(Math.max(0, out.length - Number(tail)));
    const timestamps = url.searchParams.get('timestamps') === 'true';
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end(out.map((l) => (timestamps ? l : l.replace(/^\S+ /, '')) + '\n').join(''));
  };
  const names: Array<string | undefined> = options.nodeNames?.length ? options.nodeNames : [undefined];
  const servers: Server[] = [];
  const ports = new Map<string, number>();
  const closeAll = () =>
    Promise.all(
      servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
          }),
      ),
    ).then(() => undefined);
  try {
    for (const name of names) {
      const server: Server = createServer({ ...tls }, serve(name));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
      servers.push(server);
      if (name !== undefined) ports.set(name, (server.address() as AddressInfo).port);
    }
  } catch (err) {
    await closeAll();
    throw err;
  }
  const first = (servers[0]!.address() as AddressInfo).port;
  return { port: first, portOf: (name) => ports.get(name) ?? (options.nodeNames?.length ? undefined : first), close: closeAll };
}
