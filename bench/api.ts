// API benchmark: `node dist/bench/api.js [--pods 10000]`.
// Starts a real `kujira up` (child process, own data dir), then measures over HTTPS with
// keep-alive: time to ready, pod creates/s at 1 and 32 clients with p50/p99, gets/s, listing
// 10,000 pods, write-to-watch-event latency, the server's RSS idle and with 10,000 pods; and, in
// the same run, the raw store alone (32 concurrent creates) for comparison, and the same creates
// against a Node HTTPS server that does nothing (bench/https-floor-server.ts): the ceiling any API
// server in Node reaches on this machine with its client beside it.
// Prints a table and one JSON line.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'node:https';
import { createSecureContext } from 'node:tls';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../src/storage/sqlite/index.js';
import { TestCluster } from '../test/support/cluster.js';
import { useKujiraNodeFlags } from './node-flags.js';

interface Sample {
  status: number;
  ms: number;
  body: string;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

/** CPU milliseconds (user + system) a process has used so far. */
async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10; // utime, stime in 100 Hz ticks
}

class Client {
  constructor(
    private readonly base: URL,
    private readonly agent: Agent,
  ) {}

  call(method: string, path: string, body?: string, accept = 'application/json'): Promise<Sample> {
    const t0 = performance.now();
    const headers: Record<string, string | number> = { Accept: accept };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = Buffer.byteLength(body);
    }
    return new Promise((resolve, reject) => {
      const r = request({ host: this.base.hostname, port: this.base.port, path, method, agent: this.agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0, body: Buffer.concat(chunks).toString('utf8') }));
      });
      r.on('error', reject);
      r.end(body);
    });
  }
}

function podBody(name: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'bench', tier: 'web' } },
    spec: { containers: [{ name: 'web', image: 'nginx:1.25', ports: [{ containerPort: 80 }], resources: { requests: { cpu: '100m', memory: '64Mi' } } }] },
  });
}

/** Runs `total` operations over `concurrency` workers; returns ops/s and latencies. */
async function drive(total: number, concurrency: number, op: (i: number) => Promise<number>): Promise<{ perSec: number; p50: number; p99: number; errors: number }> {
  const lat: number[] = [];
  let next = 0;
  let errors = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const s = performance.now();
        const ok = await op(i);
        lat.push(performance.now() - s);
        if (!ok) errors++;
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  return { perSec: total / secs, p50: percentile(lat, 50), p99: percentile(lat, 99), errors };
}

/**
 * Creates/s of a do-nothing Node HTTPS server (bench/https-floor-server.ts) over the same
 * certificate, agent settings and bodies: no API server on this machine can answer faster.
 */
async function httpsFloor(pkiDir: string, ca: string, total: number): Promise<{ perSec: number; serverCpuUs: number }> {
  const server = spawn(process.execPath, [fileURLToPath(new URL('./https-floor-server.js', import.meta.url)), join(pkiDir, 'apiserver.crt'), join(pkiDir, 'apiserver.key')], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      server.stdout!.once('data', (c: Buffer) => resolve(Number(c.toString().trim())));
      server.once('exit', (code) => reject(new Error(`https-floor-server exited with ${code}`)));
    });
    const agent = new Agent({ secureContext: createSecureContext({ ca }), keepAlive: true, maxSockets: 64 });
    const client = new Client(new URL(`https://127.0.0.1:${port}`), agent);
    await drive(1000, 32, async (i) => ((await client.call('POST', '/api/v1/namespaces/bench/pods', podBody(`warm-${i}`))).status === 201 ? 1 : 0));
    const cpu0 = await cpuMs(server.pid!);
    const r = await drive(total, 32, async (i) => ((await client.call('POST', '/api/v1/namespaces/bench/pods', podBody(`floor-${i}`))).status === 201 ? 1 : 0));
    const serverCpuUs = Math.round((((await cpuMs(server.pid!)) - cpu0) * 1000) / total);
    agent.destroy();
    return { perSec: r.perSec, serverCpuUs };
  } finally {
    server.kill();
  }
}

async function rawStore(total: number, concurrency: number): Promise<{ perSec: number; p50: number; p99: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'kujira-bench-store-'));
  const store = await openSqliteStore({ path: join(dir, 'kujira.db') });
  try {
    const value = Buffer.from(podBody('x'));
    const r = await drive(total, concurrency, async (i) => ((await store.create(`/registry/core/pods/bench/raw-${i}`, value)).ok ? 1 : 0));
    return r;
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const podsArg = process.argv.indexOf('--pods');
  const totalPods = podsArg > 0 ? Number(process.argv[podsArg + 1]) : 10_000;
  const results: Record<string, number | string> = {};
  results.nodeFlags = useKujiraNodeFlags();

  // Ready time and idle RSS of the full `kujira up` (API server, controllers, scheduler): first start
  // (makes certificates) and a restart of the same data dir.
  const fullArgs = ['--controllers=*', '--runtime', 'simulated'];
  const full = await TestCluster.start({ extraArgs: fullArgs });
  results.readyFirstMs = Math.round(full.readyMs);
  await full.stop();
  const restarted = await TestCluster.start({ dataDir: full.dataDir, ownsDir: true, extraArgs: fullArgs });
  results.readyRestartMs = Math.round(restarted.readyMs);
  await new Promise((r) => setTimeout(r, 1000));
  results.rssIdleMb = Math.round(await rssMb(restarted.pid));
  await restarted.dispose();

  // Throughput and latency of the API server alone: controllers would react to every pod written.
  const apiOnly = fileURLToPath(new URL('./apiserver-only.js', import.meta.url));
  const cluster = await TestCluster.start({ command: [apiOnly] });
  try {
    await new Promise((r) => setTimeout(r, 500));
    results.rssIdleApiOnlyMb = Math.round(await rssMb(cluster.pid));

    const creds = await cluster.credentials();
    // One TLS context object for every connection (as KubeClient does): PEM strings in the agent's
    // options would build a context per connection and be hashed into every request's pool key.
    const agent = new Agent({ secureContext: createSecureContext({ ca: creds.ca, cert: creds.cert, key: creds.key }), keepAlive: true, maxSockets: 64 });
    const client = new Client(new URL(cluster.url), agent);
    await client.call('POST', '/api/v1/namespaces', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } }));
    await client.call('POST', '/api/v1/namespaces', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'watchlat' } }));

    const single = await drive(1000, 1, async (i) => ((await client.call('POST', '/api/v1/namespaces/bench/pods', podBody(`single-${i}`))).status === 201 ? 1 : 0));
    Object.assign(results, { create1PerSec: Math.round(single.perSec), create1P50Ms: +single.p50.toFixed(2), create1P99Ms: +single.p99.toFixed(2) });

    const rest = Math.max(0, totalPods - 1000);
    const cpuBefore = await cpuMs(cluster.pid);
    const multi = await drive(rest, 32, async (i) => ((await client.call('POST', '/api/v1/namespaces/bench/pods', podBody(`multi-${i}`))).status === 201 ? 1 : 0));
    results.serverCpuUsPerCreate = Math.round(((await cpuMs(cluster.pid)) - cpuBefore) * 1000 / Math.max(1, rest));
    Object.assign(results, { create32PerSec: Math.round(multi.perSec), create32P50Ms: +multi.p50.toFixed(2), create32P99Ms: +multi.p99.toFixed(2), createErrors: single.errors + multi.errors });

    const cpuBeforeGets = await cpuMs(cluster.pid);
    const gets = await drive(10_000, 32, async (i) => ((await client.call('GET', `/api/v1/namespaces/bench/pods/multi-${i % Math.max(1, rest)}`)).status === 200 ? 1 : 0));
    results.serverCpuUsPerGet = Math.round(((await cpuMs(cluster.pid)) - cpuBeforeGets) * 1000 / 10_000);
    Object.assign(results, { get32PerSec: Math.round(gets.perSec), get32P99Ms: +gets.p99.toFixed(2) });

    const list = await client.call('GET', '/api/v1/namespaces/bench/pods');
    const listed = (JSON.parse(list.body) as { items: unknown[] }).items.length;
    const table = await client.call('GET', '/api/v1/namespaces/bench/pods', undefined, 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json');
    Object.assign(results, { listPods: listed, listMs: Math.round(list.ms), listTableMs: Math.round(table.ms) });
    results.rssWithPodsMb = Math.round(await rssMb(cluster.pid));

    // Watch latency: time from sending a create to its ADDED event on an open watch.
    const sent = new Map<string, number>();
    const lat: number[] = [];
    const u = new URL(cluster.url);
    const watchReq = request(
      { host: u.hostname, port: u.port, path: '/api/v1/namespaces/watchlat/pods?watch=1&resourceVersion=0', method: 'GET', agent, headers: { Accept: 'application/json' } },
      (res) => {
        let buf = '';
        res.on('data', (c: Buffer) => {
          const now = performance.now();
          buf += c.toString();
          let nl;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            const name = /"name":"(lat-\d+)"/.exec(line)?.[1];
            const t = name ? sent.get(name) : undefined;
            if (t !== undefined) lat.push(now - t);
          }
        });
      },
    );
    watchReq.end();
    await new Promise((r) => setTimeout(r, 200));
    for (let i = 0; i < 500; i++) {
      const name = `lat-${i}`;
      sent.set(name, performance.now());
      await client.call('POST', '/api/v1/namespaces/watchlat/pods', podBody(name));
    }
    const deadline = Date.now() + 5000;
    while (lat.length < 500 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    watchReq.destroy();
    lat.sort((a, b) => a - b);
    Object.assign(results, { watchEvents: lat.length, watchP50Ms: +percentile(lat, 50).toFixed(2), watchP99Ms: +percentile(lat, 99).toFixed(2) });
    agent.destroy();
    await cluster.stop();

    // The same creates against a Node HTTPS server that does nothing (same certificate and client).
    const floor = await httpsFloor(join(cluster.dataDir, 'pki'), creds.ca, rest);
    Object.assign(results, { httpsFloor32PerSec: Math.round(floor.perSec), httpsFloorServerCpuUsPerRequest: floor.serverCpuUs });
  } finally {
    await cluster.dispose();
  }

  const raw = await rawStore(totalPods, 32);
  Object.assign(results, { rawStoreCreate32PerSec: Math.round(raw.perSec), rawStoreP99Ms: +raw.p99.toFixed(2) });
  results.apiToStoreRatio = +(Number(results.create32PerSec) / raw.perSec).toFixed(2);
  results.httpsFloorToStoreRatio = +(Number(results.httpsFloor32PerSec) / raw.perSec).toFixed(2);
  results.cpus = `${cpus().length}x ${cpus()[0]?.model ?? '?'}`;
  results.node = process.version;
  results.loadAvg1m = +loadavg()[0].toFixed(2);
  results.date = new Date().toISOString();

  const rows: [string, string][] = [
    ['ready (first start, makes certs)', `${results.readyFirstMs} ms`],
    ['ready (restart)', `${results.readyRestartMs} ms`],
    ['RSS idle (kujira up, all components)', `${results.rssIdleMb} MB`],
    ['RSS idle (API server alone)', `${results.rssIdleApiOnlyMb} MB`],
    ['pod creates, 1 client', `${results.create1PerSec}/s  p50 ${results.create1P50Ms} ms  p99 ${results.create1P99Ms} ms`],
    ['pod creates, 32 clients', `${results.create32PerSec}/s  p50 ${results.create32P50Ms} ms  p99 ${results.create32P99Ms} ms`],
    ['server CPU per create (32 clients)', `${results.serverCpuUsPerCreate} µs`],
    ['pod gets, 32 clients', `${results.get32PerSec}/s  p99 ${results.get32P99Ms} ms`],
    ['server CPU per get', `${results.serverCpuUsPerGet} µs`],
    [`list ${results.listPods} pods`, `${results.listMs} ms (JSON), ${results.listTableMs} ms (Table)`],
    ['RSS with pods', `${results.rssWithPodsMb} MB`],
    ['write → watch event', `p50 ${results.watchP50Ms} ms  p99 ${results.watchP99Ms} ms  (${results.watchEvents} events)`],
    ['raw store creates, 32 concurrent', `${results.rawStoreCreate32PerSec}/s  p99 ${results.rawStoreP99Ms} ms`],
    ['API / raw store', `${results.apiToStoreRatio}`],
    ['do-nothing HTTPS server, same creates, 32 clients', `${results.httpsFloor32PerSec}/s  (${results.httpsFloorServerCpuUsPerRequest} µs server CPU each)`],
    ['do-nothing HTTPS server / raw store', `${results.httpsFloorToStoreRatio}`],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  for (const [k, v] of rows) process.stdout.write(`${k.padEnd(w)}  ${v}\n`);
  process.stdout.write(JSON.stringify(results) + '\n');
}

await main();
