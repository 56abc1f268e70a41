// CPU per write of the SQLite store, as the API server's read-modify-write loop drives it:
// 32 concurrent writers each do get(key) then update(key, value, modRevision) on pod-sized values.
//   node dist/bench/store-cpu-per-write.js [--updates 100000] [--keys 10000] [--module <path to sqlite/index.js>]
// --module lets one build compare two store implementations (e.g. a copy of an older dist).
// Reports process CPU time (user+system) per successful update, which a noisy shared machine
// disturbs far less than wall time. Prints one JSON line.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Store } from '../src/storage/store.js';
import type { SqliteStoreOptions } from '../src/storage/sqlite/index.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const updates = Number(arg('updates', '100000'));
const keys = Number(arg('keys', '10000'));
const writers = Number(arg('writers', '32'));
const modulePath = arg('module', '');

const mod = (await import(
  modulePath ? pathToFileURL(path.resolve(modulePath)).href : '../src/storage/sqlite/index.js'
)) as { openSqliteStore(opts: SqliteStoreOptions): Promise<Store> };

/** ~1.5 KB, a pod's size; the status line changes per update. */
function podValue(name: string, n: number): Buffer {
  return Buffer.from(
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default', uid: '2c5c5f1e-3b0a-4d8e-9f6e-1a2b3c4d5e6f', labels: { app: 'kuard' } },
      spec: {
        containers: [
          {
            name: 'kuard',
            image: 'gcr.io/kuar-demo/kuard-amd64:blue',
            ports: [{ containerPort: 8080, name: 'http', protocol: 'TCP' }],
            resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } },
          },
        ],
        nodeName: `node-${n % 100}`,
        tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }],
      },
      status: { phase: 'Pending', qosClass: 'Burstable', observed: n, padding: 'x'.repeat(600) },
    }),
  );
}

// Values are built up front so the measurement is the store's CPU, not JSON.stringify's.
const values = Array.from({ length: 256 }, (_, n) => podValue(`pod-${n}`, n));

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kujira-bench-cpu-'));
const store = await mod.openSqliteStore({ path: path.join(dir, 'state.db'), compactionIntervalMs: 0 });
try {
  let next = 0;
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (next < keys) {
        const i = next++;
        if (!(await store.create(`/registry/pods/default/pod-${i}`, podValue(`pod-${i}`, 0))).ok) throw new Error('create refused');
      }
    }),
  );
  let done = 0;
  let conflicts = 0;
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      // Each writer walks its own stride of keys: mostly distinct keys, like pods being bound.
      let k = w;
      while (done < updates) {
        const key = `/registry/pods/default/pod-${k % keys}`;
        k += writers;
        const { kv } = await store.get(key);
        const r = await store.update(key, values[done % values.length]!, kv!.modRevision);
        if (r.ok) done++;
        else conflicts++;
      }
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - wall0;
  const cpuUs = cpu.user + cpu.system;
  console.log(
    JSON.stringify({
      bench: 'store-cpu-per-write',
      module: modulePath || 'built-in',
      updates: done,
      conflicts,
      cpuUsPerWrite: Math.round((cpuUs / done) * 100) / 100,
      userMs: Math.round(cpu.user / 1000),
      systemMs: Math.round(cpu.system / 1000),
      wallMs: Math.round(wallMs),
    }),
  );
} finally {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
