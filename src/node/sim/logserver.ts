// One HTTPS endpoint on 127.0.0.1 answering the kubelet's /containerLogs for every
// simulated node: the API server proxies `kubectl logs` here (it finds the port in the
// node's status.daemonEndpoints.kubeletEndpoint.Port). The certificate is self-signed,
// made with the openssl CLI; the API server does not verify kubelet certificates.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What the server needs to answer for one container, or undefined when there is no such container. */
export type LogSource = (namespace: string, pod: string, container: string) => string[] | undefined;

export interface LogServer {
  port: number;
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

export async function startLogServer(source: LogSource): Promise<LogServer> {
  const tls = await selfSignedCert();
  const server: Server = createServer({ ...tls }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (req.method !== 'GET' || !m) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('404 page not found\n');
      return;
    }
    const [ns, pod, container] = [m[1]!, m[2]!, m[3]!].map(decodeURIComponent) as [string, string, string];
    const lines = source(ns, pod, container);
    if (!lines) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end(`container "${container}" in pod "${pod}" is not available\n`);
      return;
    }
    let out = lines;
    const tail = url.searchParams.get('tailLines');
    if (tail !== null && Number(tail) >= 0) out = out.slice(Math.max(0, out.length - Number(tail)));
    const timestamps = url.searchParams.get('timestamps') === 'true';
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end(out.map((l) => (timestamps ? l : l.replace(/^\S+ /, '')) + '\n').join(''));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
