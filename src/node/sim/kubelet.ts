// The kubelet endpoints of the simulated nodes: what the API server proxies `kubectl logs`
// to (/containerLogs/<ns>/<pod>/<container>) and what the metrics scraper reads
// (/stats/summary). Each node gets its own port on 127.0.0.1 (a node is told apart by the
// port it was reached on) but all ports feed one HTTPS server, so 1,000 nodes cost 1,000
// listening sockets and nothing more. The certificate is self-signed, made with the
// openssl CLI; kubelets' serving certificates are not verified by their callers.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface KubeletHandlers {
  /** Log lines ("<RFC3339Nano> text") of one container, or undefined when there is no such container. */
  logs(namespace: string, pod: string, container: string): string[] | undefined;
  /** The Summary API document of one node. */
  summary(nodeName: string): unknown;
}

export interface KubeletEndpoints {
  portOf(nodeName: string): number;
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

export async function startKubeletEndpoints(nodeNames: readonly string[], handlers: KubeletHandlers): Promise<KubeletEndpoints> {
  const tls = await selfSignedCert();
  const nodeByPort = new Map<number, string>();
  const portByNode = new Map<string, number>();
  const sockets = new Set<Socket>();
  const https = createHttpsServer({ ...tls }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const send = (code: number, type: string, body: string): void => {
      res.writeHead(code, { 'Content-Type': type });
      res.end(body);
    };
    if (req.method !== 'GET') return send(405, 'text/plain', 'method not allowed\n');
    if (url.pathname === '/healthz') return send(200, 'text/plain', 'ok');
    if (url.pathname === '/stats/summary') {
      const node = nodeByPort.get(req.socket.localPort ?? 0);
      if (!node) return send(404, 'text/plain', '404 page not found\n');
      return send(200, 'application/json', JSON.stringify(handlers.summary(node)));
    }
    const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (!m) return send(404, 'text/plain', '404 page not found\n');
    const [ns, pod, container] = [m[1]!, m[2]!, m[3]!].map(decodeURIComponent) as [string, string, string];
    const lines = handlers.logs(ns, pod, container);
    if (!lines) return send(404, 'text/plain', `container "${container}" in pod "${pod}" is not available\n`);
    let out = lines;
    const tail = url.searchParams.get('tailLines');
    if (tail !== null && Number(tail) >= 0) out = out.slice(Math.max(0, out.length - Number(tail)));
    const timestamps = url.searchParams.get('timestamps') === 'true';
    send(200, 'text/plain', out.map((l) => (timestamps ? l : l.replace(/^\S+ /, '')) + '\n').join(''));
  });
  // Kept alive past the scraper's 15 s period, so a scrape round reuses its connections.
  https.keepAliveTimeout = 60_000;
  const listeners: NetServer[] = [];
  const accept = (socket: Socket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    https.emit('connection', socket);
  };
  try {
    for (const name of nodeNames) {
      const server = createNetServer(accept);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
      listeners.push(server);
      const port = (server.address() as AddressInfo).port;
      nodeByPort.set(port, name);
      portByNode.set(name, port);
    }
  } catch (err) {
    for (const s of listeners) s.close();
    throw err;
  }
  return {
    portOf: (name) => portByNode.get(name) ?? 0,
    close: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all(listeners.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}
