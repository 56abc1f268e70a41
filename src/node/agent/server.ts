// The agent's HTTPS endpoint (the kubelet port): container logs for the API server's pods/log proxy,
// resource usage figures (/stats/summary) and the exec, attach and port-forward streams (streaming.ts).
// Only clients holding a certificate from the cluster CA (or the agent's token) get in.
import { execFile } from 'node:child_process';
import { mkdir, readFile, access } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { promisify } from 'node:util';
import type { TLSSocket } from 'node:tls';
import type { PodRuntime, ContainerStatusInfo } from '../../runtime/runtime.js';
import { LABEL_CONTAINER_KIND, LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID } from './podworker.js';
import { streamLog, type LogOptions } from './logs.js';
import { isStreamingPath, refuse, serveStream } from './streaming.js';

const execFileAsync = promisify(execFile);

export interface EndpointHost {
  runtime: PodRuntime;
  nodeName: string;
  /** The uid of a pod this node runs, by namespace and name. */
  podUid(namespace: string, name: string): string | undefined;
}

export interface EndpointOptions {
  host?: string;
  port?: number;
  /** PEM of the CA whose client certificates may call (the cluster CA). */
  clientCA?: string;
  /** Alternatively (or also) a bearer token that may call. */
  token?: string;
  /** Where the self-signed serving certificate is kept. */
  pkiDir: string;
  /** One-line notices (stream failures). */
  log?: (line: string) => void;
}

/** A self-signed serving certificate for 127.0.0.1 (the API server does not verify it; clients are verified). */
async function servingCert(dir: string, host: string): Promise<{ cert: string; key: string }> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const certPath = join(dir, 'kubelet.crt');
  const keyPath = join(dir, 'kubelet.key');
  const have = await access(certPath).then(() => access(keyPath)).then(() => true, () => false);
  if (!have) {
    const san = /^[\d.]+$/.test(host) || host.includes(':') ? `IP:${host}` : `DNS:${host}`;
    await execFileAsync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', keyPath, '-out', certPath, '-days', '825', '-subj', '/CN=kujira-kubelet', '-addext', `subjectAltName=${san}`]);
  }
  return { cert: await readFile(certPath, 'utf8'), key: await readFile(keyPath, 'utf8') };
}

/** The newest and the previous attempt of a pod's container (regular containers first, then init containers). */
export async function containerAttempts(runtime: PodRuntime, uid: string, name: string): Promise<ContainerStatusInfo[]> {
  const sandboxes = (await runtime.listSandboxes({ labels: { [LABEL_POD_UID]: uid } })).filter((s) => s.uid === uid);
  const found: ContainerStatusInfo[] = [];
  for (const sb of sandboxes) {
    for (const c of await runtime.listContainers({ sandboxId: sb.id })) {
      if (c.name !== name) continue;
      const st = await runtime.containerStatus(c.id);
      if (st) found.push({ ...st, sandboxId: sb.id, labels: c.labels });
    }
  }
  const rank = (c: ContainerStatusInfo) => (c.labels[LABEL_CONTAINER_KIND] === 'init' ? 0 : 1);
  return found.sort((a, b) => rank(b) - rank(a) || b.attempt - a.attempt || b.createdAt - a.createdAt);
}

export interface UsageSummary {
  node: { nodeName: string; startTime?: string; cpu: { time: string; usageNanoCores: number; usageCoreNanoSeconds: number }; memory: { time: string; workingSetBytes: number; usageBytes: number; availableBytes: number } };
  pods: {
    podRef: { name: string; namespace: string; uid: string };
    cpu: { time: string; usageNanoCores: number; usageCoreNanoSeconds: number };
    memory: { time: string; workingSetBytes: number; usageBytes: number; rssBytes: number };
    containers: { name: string; cpu: { time: string; usageNanoCores: number; usageCoreNanoSeconds: number }; memory: { time: string; workingSetBytes: number; usageBytes: number; rssBytes: number } }[];
  }[];
}

let lastCpuSample: { at: number; busy: number } | undefined;

async function nodeCpu(): Promise<{ usageCoreNanoSeconds: number; usageNanoCores: number }> {
  const stat = await readFile('/proc/stat', 'utf8');
  const fields = (stat.split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const ticks = 100; // USER_HZ
  const busy = ((fields[0] ?? 0) + (fields[1] ?? 0) + (fields[2] ?? 0) + (fields[5] ?? 0) + (fields[6] ?? 0) + (fields[7] ?? 0)) / ticks * 1e9;
  const now = Date.now();
  const prev = lastCpuSample;
  lastCpuSample = { at: now, busy };
  // busy is cumulative ns of CPU time; ns per elapsed ms × 1000 = nanocores.
  const usageNanoCores = prev && now > prev.at ? Math.max(0, Math.round(((busy - prev.busy) / (now - prev.at)) * 1000)) : 0;
  return { usageCoreNanoSeconds: Math.round(busy), usageNanoCores };
}

async function nodeMemory(): Promise<{ usageBytes: number; workingSetBytes: number; availableBytes: number }> {
  const info = await readFile('/proc/meminfo', 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(info)?.[1] ?? 0) * 1024;
  const total = kb('MemTotal');
  const available = kb('MemAvailable');
  return { usageBytes: total - kb('MemFree'), workingSetBytes: total - available, availableBytes: available };
}

/** CPU and memory per container and pod (from the runtime) and for the node (from /proc): the /stats/summary figures. */
export async function collectUsage(runtime: PodRuntime, nodeName: string): Promise<UsageSummary> {
  const usage = await runtime.usage();
  const time = new Date().toISOString();
  const pods = new Map<string, UsageSummary['pods'][number]>();
  for (const u of usage) {
    const uid = u.labels[LABEL_POD_UID];
    if (!uid) continue;
    let pod = pods.get(uid);
    if (!pod) {
      pod = {
        podRef: { name: u.labels[LABEL_POD_NAME] ?? '', namespace: u.labels[LABEL_POD_NAMESPACE] ?? '', uid },
        cpu: { time, usageNanoCores: 0, usageCoreNanoSeconds: 0 }, memory: { time, workingSetBytes: 0, usageBytes: 0, rssBytes: 0 }, containers: [],
      };
      pods.set(uid, pod);
    }
    const cpu = { time, usageNanoCores: u.cpuUsageNanoCores, usageCoreNanoSeconds: u.cpuUsageCoreNanoSeconds };
    const memory = { time, workingSetBytes: u.memoryWorkingSetBytes, usageBytes: u.memoryUsageBytes, rssBytes: u.memoryRssBytes };
    pod.containers.push({ name: u.name, cpu, memory });
    pod.cpu.usageNanoCores += cpu.usageNanoCores;
    pod.cpu.usageCoreNanoSeconds += cpu.usageCoreNanoSeconds;
    pod.memory.workingSetBytes += memory.workingSetBytes;
    pod.memory.usageBytes += memory.usageBytes;
    pod.memory.rssBytes += memory.rssBytes;
  }
  return { node: { nodeName, cpu: { time, ...(await nodeCpu()) }, memory: { time, ...(await nodeMemory()) } }, pods: [...pods.values()] };
}

function logOptions(q: URLSearchParams): LogOptions {
  const int = (k: string) => (q.get(k) !== null && q.get(k) !== '' ? Number(q.get(k)) : undefined);
  const bool = (k: string) => q.get(k) === 'true' || q.get(k) === '1';
  return { follow: bool('follow'), timestamps: bool('timestamps'), tailLines: int('tailLines'), sinceSeconds: int('sinceSeconds'), sinceTime: q.get('sinceTime') ?? undefined, limitBytes: int('limitBytes') };
}

export interface RunningEndpoint {
  port: number;
  close(): Promise<void>;
}

export async function startEndpoint(host: EndpointHost, opts: EndpointOptions): Promise<RunningEndpoint> {
  const bind = opts.host ?? '127.0.0.1';
  const { cert, key } = await servingCert(opts.pkiDir, bind);
  const authenticated = (req: IncomingMessage): boolean => {
    const socket = req.socket as TLSSocket;
    // `authorized` alone is not enough: a resumed TLS session that never showed a certificate reports
    // authorized too (no verification ran). The certificate itself must be there.
    const peer = socket.authorized ? socket.getPeerCertificate() : undefined;
    const certOk = !!opts.clientCA && !!peer && !!peer.raw;
    const tokenOk = !!opts.token && req.headers.authorization === `Bearer ${opts.token}`;
    return certOk || tokenOk;
  };
  const server = https.createServer({ cert, key, requestCert: true, rejectUnauthorized: false, ...(opts.clientCA ? { ca: opts.clientCA } : {}) }, (req, res) => {
    const fail = (code: number, message: string) => {
      if (!res.headersSent) res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(message + '\n');
    };
    if (!authenticated(req)) return fail(401, 'Unauthorized');
    const url = new URL(req.url ?? '/', 'https://node');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    void (async () => {
      if (isStreamingPath(url.pathname)) return fail(400, 'Upgrade request required');
      if (req.method !== 'GET') return fail(405, 'method not allowed');
      if (url.pathname === '/healthz') { res.writeHead(200, { 'Content-Type': 'text/plain' }); res.end('ok'); return; }
      if (url.pathname === '/stats/summary') {
        const summary = await collectUsage(host.runtime, host.nodeName);
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(summary));
        return;
      }
      if (parts[0] === 'containerLogs' && parts.length === 4) {
        const [, ns, podName, container] = parts as [string, string, string, string];
        const uid = host.podUid(ns, podName);
        if (!uid) return fail(404, `pod "${podName}" in namespace "${ns}" is not running on node "${host.nodeName}"`);
        const attempts = await containerAttempts(host.runtime, uid, container);
        const previous = url.searchParams.get('previous') === 'true';
        const target = previous ? attempts[1] : attempts[0];
        if (!target) {
          return fail(400, previous
            ? `previous terminated container "${container}" in pod "${podName}" not found`
            : `container "${container}" in pod "${podName}" is waiting to start: ContainerCreating`);
        }
        const abort = new AbortController();
        res.on('close', () => abort.abort());
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Transfer-Encoding': 'chunked' });
        try {
          await streamLog(target.logPath, logOptions(url.searchParams), (text) => res.write(text), abort.signal, async () => {
            if (previous) return false;
            const st = await host.runtime.containerStatus(target.id);
            return st?.state === 'running';
          });
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        }
        res.end();
        return;
      }
      fail(404, 'not found');
    })().catch((err: Error) => fail(500, err.message));
  });
  // exec, attach and port-forward arrive as upgrade requests (SPDY or websocket).
  const streams = new Set<Duplex>();
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    streams.add(socket);
    socket.on('close', () => streams.delete(socket));
    socket.on('error', () => socket.destroy());
    if (!authenticated(req)) return refuse(socket, 401, 'Unauthorized');
    const path = (req.url ?? '/').split('?')[0]!;
    if (!isStreamingPath(path)) return refuse(socket, 404, 'not found');
    if (req.method !== 'GET' && req.method !== 'POST') return refuse(socket, 405, 'method not allowed');
    serveStream(host, req, socket, head, opts.log ?? (() => {})).catch((err: Error) => refuse(socket, 500, err.message));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, bind, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
      // Upgraded connections are no longer the HTTP server's to close.
      for (const s of streams) s.destroy();
    }),
  };
}

