// Raw store benchmark: `node dist/bench/store.js [--durability process|fsync] [--json-only]`.
// Runs against a temporary database file (not :memory:) and prints a table, then one JSON line.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Store } from '../src/storage/store.js';
import { openSqliteStore, type Durability } from '../src/storage/sqlite/index.js';

interface Latencies {
  p50: number;
  p99: number;
}

export interface StoreBenchResult {
  durability: Durability;
  create1: { perSec: number } & Latencies;
  create32: { perSec: number } & Latencies;
  getsPerSec: number;
  list10kMs: number;
  watchLatencyMs: Latencies;
}

function percentiles(samples: number[]): Latencies {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
  return { p50: round(at(0.5)), p99: round(at(0.99)) };
}

function round(n: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** A pod-sized JSON value (~1.3 KB), as the API server will store. */
function podValue(name: string): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: 'default',
        uid: '2c5c5f1e-3b0a-4d8e-9f6e-1a2b3c4d5e6f',
        labels: { app: 'kuard', version: '2', 'pod-template-hash': '7d4f8b6c9' },
        creationTimestamp: '2025-01-01T00:00:00Z',
      },
      spec: {
        containers: [
          {
            name: 'kuard',
            image: 'gcr.io/kuar-demo/kuard-amd64:blue',
            imagePullPolicy: 'IfNotPresent',
            ports: [{ containerPort: 8080, name: 'http', protocol: 'TCP' }],
            resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } },
            livenessProbe: { httpGet: { path: '/healthy', port: 8080, scheme: 'HTTP' }, periodSeconds: 10 },
            terminationMessagePath: '/dev/termination-log',
            terminationMessagePolicy: 'File',
          },
        ],
        restartPolicy: 'Always',
        terminationGracePeriodSeconds: 30,
        dnsPolicy: 'ClusterFirst',
        schedulerName: 'default-scheduler',
        tolerations: [
          { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
          { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        ],
      },
      status: { phase: 'Pending', qosClass: 'Burstable' },
    }),
  );
}

async function creates(store: Store, prefix: string, total: number, concurrency: number): Promise<{ perSec: number } & Latencies> {
  const lat: number[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const name = `pod-${next++}`;
        const t = performance.now();
        const r = await store.create(`${prefix}${name}`, podValue(name));
        lat.push(performance.now() - t);
        if (!r.ok) throw new Error(`create ${name} refused`);
      }
    }),
  );
  const secs = (performance.now() - start) / 1000;
  return { perSec: Math.round(total / secs), ...percentiles(lat) };
}

export async function benchStore(durability: Durability): Promise<StoreBenchResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kujira-bench-store-'));
  const store = await openSqliteStore({ path: path.join(dir, 'state.db'), durability, compactionIntervalMs: 0 });
  try {
    // warm-up (statement preparation, page cache)
    await creates(store, '/registry/warmup/', 500, 8);

    const create1 = await creates(store, '/registry/pods/one/', 2000, 1);
    const create32 = await creates(store, '/registry/pods/many/', 20_000, 32);

    // gets: 32 concurrent readers over existing keys
    const getTotal = 50_000;
    let g = 0;
    const gStart = performance.now();
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (g < getTotal) {
          const i = g++ % 20_000;
          const r = await store.get(`/registry/pods/many/pod-${i}`);
          if (!r.kv) throw new Error('missing key');
        }
      }),
    );
    const getsPerSec = Math.round(getTotal / ((performance.now() - gStart) / 1000));

    // list of 10,000 keys (a namespace holding exactly 10,000 pods), median of 5
    await creates(store, '/registry/pods/tenk/', 10_000, 32);
    const listTimes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      const r = await store.list('/registry/pods/tenk/');
      listTimes.push(performance.now() - t);
      if (r.kvs.length !== 10_000) throw new Error(`listed ${r.kvs.length}`);
    }
    const list10kMs = round(percentiles(listTimes).p50, 1);

    // write → watch event latency: time from calling update() until the watcher has the event
    const sent = new Map<number, number>();
    const watchLat: number[] = [];
    const watch = store.watch('/registry/pods/one/', {}, {
      onEvents(events) {
        const now = performance.now();
        for (const ev of events) {
          const t = sent.get(Number(new TextDecoder().decode(ev.kv.value.subarray(0, 8))));
          if (t !== undefined) watchLat.push(now - t);
        }
      },
      onError(err) {
        throw err;
      },
    });
    let rev = (await store.get('/registry/pods/one/pod-0')).kv!.modRevision;
    for (let i = 0; i < 2000; i++) {
      const tag = String(i).padStart(8, '0');
      sent.set(i, performance.now());
      const r = await store.update('/registry/pods/one/pod-0', new TextEncoder().encode(tag), rev);
      if (!r.ok) throw new Error('update refused');
      rev = r.revision;
    }
    watch.cancel();
    if (watchLat.length !== 2000) throw new Error(`watch saw ${watchLat.length} of 2000 events`);
    return { durability, create1, create32, getsPerSec, list10kMs, watchLatencyMs: percentiles(watchLat) };
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function printTable(results: StoreBenchResult[]): void {
  const rows: [string, ...string[]][] = [
    ['durability', ...results.map((r) => r.durability)],
    ['creates/s, 1 writer', ...results.map((r) => String(r.create1.perSec))],
    ['  latency p50 / p99 (ms)', ...results.map((r) => `${r.create1.p50} / ${r.create1.p99}`)],
    ['creates/s, 32 writers', ...results.map((r) => String(r.create32.perSec))],
    ['  latency p50 / p99 (ms)', ...results.map((r) => `${r.create32.p50} / ${r.create32.p99}`)],
    ['gets/s (32 readers)', ...results.map((r) => String(r.getsPerSec))],
    ['list 10,000 keys (ms)', ...results.map((r) => String(r.list10kMs))],
    ['write→watch p50 / p99 (ms)', ...results.map((r) => `${r.watchLatencyMs.p50} / ${r.watchLatencyMs.p99}`)],
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c]!)).join('  '));
}

const isMain = process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]));
if (isMain) {
  const arg = process.argv.indexOf('--durability');
  const modes: Durability[] = arg > 0 ? [process.argv[arg + 1] as Durability] : ['process', 'fsync'];
  const results: StoreBenchResult[] = [];
  for (const m of modes) results.push(await benchStore(m));
  printTable(results);
  console.log(JSON.stringify({ bench: 'store', results }));
}
