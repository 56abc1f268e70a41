// bench/pods: how fast real pods start on this machine through kujira: the API server, scheduler and
// controllers in this process (as `kujira up` runs them), the node agent as its own `kujira agent` process
// joined to it (so its memory is its own), containerd beside the agent,
// against the raw CRI path in the same run (RunPodSandbox → CreateContainer → StartContainer straight
// through src/runtime/cri, no API, no agent).
//
//   node dist/bench/pods.js [--single 10] [--burst 50]
// Create-to-Running is from just before the POST to the watch event showing phase Running; create-to-Ready
// to the one showing Ready=True (the pod has a readiness probe: httpGet /ready every second). For raw CRI,
// "running" is StartContainer returning and "ready" the first HTTP 200 of /ready from the host.
// Memory: the agent process's RSS (with pods: the highest of 20 samples over 10 s, with its anonymous part
// and PSS), this process's (API server and controllers), containerd's, and the containerd shims' summed,
// with all the bench's pods (singles + burst) running; the agent's CPU seconds for starting them, and its CPU
// (% of one core) over the 10 s of steady state with them running.
// KUJIRA_BENCH_AGENT_NODE_FLAGS="--flag ..." runs the agent process alone with extra node flags.
// Prints a table and one JSON line (prefix `BENCH `). Needs root and containerd (like the e2e tests).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { core } from '../src/api/types.js';
import { silentLogger } from '../src/api/log.js';
import { KubeClient } from '../src/client/client.js';
import { Informer } from '../src/client/informer.js';
import { PODS } from '../src/client/resources.js';
import { startCluster } from '../src/cmd/up.js';
import { detectContainerdSupport } from '../src/node/agent/detect.js';
import { CriClient } from '../src/runtime/cri/client.js';
import { cgroupRoots, removeCgroupTree } from '../src/runtime/cri/host.js';
import { DEMO_IMAGE } from '../src/runtime/cri/images.js';
import { CriRuntime } from '../src/runtime/cri/runtime.js';
import type { ContainerSpec, SandboxSpec } from '../src/runtime/runtime.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const round = (n: number) => Math.round(n);
const round1 = (n: number) => Math.round(n * 10) / 10;

function rssMiB(pid: number, field = 'VmRSS'): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch { return 0; }
}

/** Proportional set size: private pages, plus shared ones (the node binary's, mostly) divided among their sharers. */
function pssMiB(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch { return 0; }
}

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  try {
    // Fields after the command name (which is in parentheses and may hold spaces): utime is the 12th, stime the 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch { return 0; }
}

/** Summed RSS of the containerd shims serving this containerd (one per pod). */
function shimsRssMiB(socket: string): { count: number; mib: number } {
  let count = 0;
  let mib = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline = '';
    try { cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8'); } catch { continue; }
    if (cmdline.includes('containerd-shim') && cmdline.includes(socket)) { count++; mib += rssMiB(Number(entry)); }
  }
  return { count, mib };
}

function httpOk(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url, { timeout: 1000 }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode === 200)); });
    req.on('error', () => resolve(false));
    req.on('timeout', () => { req.destroy(); resolve(false); });
    req.end();
  });
}

interface Latency { running: number; ready: number }

/** The raw CRI path for one pod: sandbox, container, start; then polls /ready from the host. */
async function rawPod(runtime: CriRuntime, dir: string, name: string): Promise<Latency & { sandboxId: string }> {
  const sandbox: SandboxSpec = {
    name, namespace: 'bench', uid: `bench-${name}`, attempt: 0, hostname: name, logDirectory: join(dir, 'logs', name),
    portMappings: [], labels: {}, annotations: {}, cgroupParent: `/kujira-bench-raw/pod${name}`, shareProcessNamespace: false,
  };
  const container: ContainerSpec = {
    name: 'web', attempt: 0, image: DEMO_IMAGE, command: [], args: [], env: [], mounts: [], labels: {}, annotations: {},
    logPath: 'web/0.log', resources: {}, tty: false, stdin: false, stdinOnce: false, privileged: false, readOnlyRootFilesystem: false, shareProcessNamespace: false,
  };
  const t0 = performance.now();
  const sandboxId = await runtime.runSandbox(sandbox);
  const id = await runtime.createContainer(sandboxId, container, sandbox);
  await runtime.startContainer(id);
  const running = performance.now() - t0;
  const ip = (await runtime.sandboxStatus(sandboxId))?.ips[0];
  while (!(await httpOk(`http://${ip}:8080/ready`))) await sleep(5);
  return { running, ready: performance.now() - t0, sandboxId };
}

function benchPod(name: string): core.Pod {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { bench: 'pods' } },
    spec: {
      terminationGracePeriodSeconds: 5,
      containers: [{ name: 'web', image: DEMO_IMAGE, imagePullPolicy: 'IfNotPresent', ports: [{ containerPort: 8080 }],
        readinessProbe: { httpGet: { path: '/ready', port: 8080 }, periodSeconds: 1 } }],
    },
  };
}

async function main(): Promise<void> {
  const singles = arg('single', 10);
  const burst = arg('burst', 50);
  const support = await detectContainerdSupport();
  if (!support.ok) throw new Error(`bench/pods needs containerd: ${support.why}`);
  const dir = await mkdtemp(join(tmpdir(), 'kujira-bench-pods-'));
  // Everything but a node in this process; the node is `kujira agent`, a process of its own.
  const cluster = await startCluster(
    { 'data-dir': join(dir, 'cluster'), address: '127.0.0.1', port: 0, runtime: 'simulated', controllers: '*,-node-agent,-simulated-nodes' },
    silentLogger,
  );
  const api = cluster.context.api;
  const client = new KubeClient({ server: api.server, ca: api.caPem, token: api.token });
  const agentDir = join(dir, 'agent');
  const kujiraBin = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'kujira');
  // KUJIRA_BENCH_AGENT_NODE_FLAGS: extra node flags for the agent process alone, to compare heap settings.
  const agentNodeFlags = (process.env.KUJIRA_BENCH_AGENT_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
  const agent = spawn(process.execPath, [...agentNodeFlags, kujiraBin, 'agent', '--server', api.server, '--token', api.token, '--ca-file', join(dir, 'cluster', 'pki', 'ca.crt'), '--data-dir', agentDir, '--name', 'bench-node'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const agentExited = new Promise<void>((resolve) => agent.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    agent.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('joined')) resolve();
    });
    agent.once('exit', (code) => reject(new Error(`kujira agent exited (${code}) before joining`)));
  });
  const socket = join(agentDir, 'containerd', 'containerd.sock');
  const containerdPid = Number(readFileSync(join(agentDir, 'containerd', 'containerd.pid'), 'utf8'));
  const cri = new CriClient(socket);
  const runtime = new CriRuntime(cri);
  const pods = client.resource(PODS);
  const rawSandboxes: string[] = [];
  try {
    // ---- raw CRI, same containerd, same image ----
    const rawSingle: Latency[] = [];
    for (let i = 0; i < singles; i++) {
      const r = await rawPod(runtime, dir, `raw-${i}`);
      rawSingle.push(r);
      rawSandboxes.push(r.sandboxId);
    }
    const rawBurst = await Promise.all(Array.from({ length: burst }, (_, i) => rawPod(runtime, dir, `rawb-${i}`)));
    rawSandboxes.push(...rawBurst.map((r) => r.sandboxId));
    await Promise.all(rawSandboxes.map(async (id) => { await runtime.stopSandbox(id); await runtime.removeSandbox(id); }));
    for (const root of await cgroupRoots()) await removeCgroupTree(join(root, 'kujira-bench-raw'));
    rawSandboxes.length = 0;

    // ---- through the API: scheduler binds, the agent runs it, the watch shows it ----
    const createdAt = new Map<string, number>();
    const seen = new Map<string, Latency>();
    const informer = new Informer<core.Pod>(pods, { namespace: 'default', labelSelector: 'bench=pods', name: 'bench', onError: () => {} });
    const observe = (p: core.Pod) => {
      const name = p.metadata?.name ?? '';
      const t0 = createdAt.get(name);
      if (t0 === undefined) return;
      const now = performance.now();
      const entry = seen.get(name) ?? { running: NaN, ready: NaN };
      if (Number.isNaN(entry.running) && p.status?.phase === 'Running') entry.running = now - t0;
      if (Number.isNaN(entry.ready) && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) entry.ready = now - t0;
      seen.set(name, entry);
    };
    informer.addEventHandler({ onAdd: observe, onUpdate: (_o, p) => observe(p) });
    informer.start();
    await informer.waitForSync();
    const allDone = async (names: string[], timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      while (!names.every((n) => !Number.isNaN(seen.get(n)?.ready ?? NaN))) {
        if (Date.now() > deadline) throw new Error(`pods not ready in time: ${names.filter((n) => Number.isNaN(seen.get(n)?.ready ?? NaN)).join(', ')}`);
        await sleep(10);
      }
    };
    const rssIdle = process.memoryUsage().rss / 2 ** 20;
    const agentIdle = rssMiB(agent.pid!);
    const agentAnonIdle = rssMiB(agent.pid!, 'RssAnon');
    const agentCpuBefore = cpuSeconds(agent.pid!);
    const containerdIdle = rssMiB(containerdPid);

    const single: Latency[] = [];
    for (let i = 0; i < singles; i++) {
      const name = `single-${i}`;
      createdAt.set(name, performance.now());
      await pods.create('default', benchPod(name));
      await allDone([name], 30_000);
      single.push(seen.get(name)!);
    }
    const burstNames = Array.from({ length: burst }, (_, i) => `burst-${i}`);
    const burstStart = performance.now();
    await Promise.all(burstNames.map(async (name) => {
      createdAt.set(name, performance.now());
      await pods.create('default', benchPod(name));
    }));
    await allDone(burstNames, 120_000);
    const burstAllReadyMs = performance.now() - burstStart;
    const burstLat = burstNames.map((n) => seen.get(n)!);
    // The agent's CPU for running the 60 pods (singles and burst), before the steady state below.
    const agentCpu = cpuSeconds(agent.pid!) - agentCpuBefore;
    // Settle, then memory with every pod running.
    global.gc?.();
    await sleep(2000);
    const rssWithPods = process.memoryUsage().rss / 2 ** 20;
    // The agent keeps probing every pod each second: its RSS is sampled over a window of that steady state,
    // and the highest sample counted (a single reading lands anywhere between two garbage collections).
    let agentWithPods = 0;
    let agentAnonWithPods = 0;
    let agentPssWithPods = 0;
    const steadyCpuBefore = cpuSeconds(agent.pid!);
    const steadyFrom = performance.now();
    for (let i = 0; i < 20; i++) {
      agentWithPods = Math.max(agentWithPods, rssMiB(agent.pid!));
      agentAnonWithPods = Math.max(agentAnonWithPods, rssMiB(agent.pid!, 'RssAnon'));
      agentPssWithPods = Math.max(agentPssWithPods, pssMiB(agent.pid!));
      await sleep(500);
    }
    // The agent's CPU in that steady state (probing every pod each second, relisting, resyncing), in % of one core.
    const agentSteadyCpu = (100 * (cpuSeconds(agent.pid!) - steadyCpuBefore)) / ((performance.now() - steadyFrom) / 1000);
    const containerdWithPods = rssMiB(containerdPid);
    const shims = shimsRssMiB(socket);
    await informer.stop();

    const stat = (xs: number[]) => ({ p50: round(percentile(xs, 50)), p99: round(percentile(xs, 99)) });
    const result = {
      singles, burst,
      raw1Running: stat(rawSingle.map((l) => l.running)), raw1Ready: stat(rawSingle.map((l) => l.ready)),
      rawBurstRunning: stat(rawBurst.map((l) => l.running)), rawBurstReady: stat(rawBurst.map((l) => l.ready)),
      pod1Running: stat(single.map((l) => l.running)), pod1Ready: stat(single.map((l) => l.ready)),
      podBurstRunning: stat(burstLat.map((l) => l.running)), podBurstReady: stat(burstLat.map((l) => l.ready)),
      burstAllReadyMs: round(burstAllReadyMs),
      // MiB with one decimal: the agent target (≤ 60) is close enough that rounding to whole numbers hides which side it is on.
      agentRssIdleMb: round1(agentIdle), agentRssWithPodsMb: round1(agentWithPods),
      agentAnonIdleMb: round(agentAnonIdle), agentAnonWithPodsMb: round(agentAnonWithPods), agentPssWithPodsMb: round(agentPssWithPods), agentNodeFlags: agentNodeFlags.join(' '),
      agentCpuSeconds: Number(agentCpu.toFixed(2)), agentSteadyCpuPercent: Number(agentSteadyCpu.toFixed(1)),
      controlPlaneRssIdleMb: round(rssIdle), controlPlaneRssWithPodsMb: round(rssWithPods),
      containerdRssIdleMb: round(containerdIdle), containerdRssWithPodsMb: round(containerdWithPods),
      shims: shims.count, shimsRssMb: round(shims.mib),
      cpus: `${cpus().length}x ${cpus()[0]?.model ?? '?'}`, node: process.version, loadAvg1m: Number(loadavg()[0]!.toFixed(2)), date: new Date().toISOString(),
    };
    const row = (what: string, a: { p50: number; p99: number }, b: { p50: number; p99: number }) =>
      console.log(`${what.padEnd(34)} ${String(a.p50).padStart(8)} ${String(a.p99).padStart(8)}   ${String(b.p50).padStart(8)} ${String(b.p99).padStart(8)}`);
    console.log(`${'ms'.padEnd(34)} ${'p50'.padStart(8)} ${'p99'.padStart(8)}   ${'raw p50'.padStart(8)} ${'raw p99'.padStart(8)}`);
    row(`1 pod at a time (x${singles}) → Running`, result.pod1Running, result.raw1Running);
    row(`1 pod at a time (x${singles}) → Ready`, result.pod1Ready, result.raw1Ready);
    row(`${burst} pods at once → Running`, result.podBurstRunning, result.rawBurstRunning);
    row(`${burst} pods at once → Ready`, result.podBurstReady, result.rawBurstReady);
    console.log(`${burst} pods all Ready after ${result.burstAllReadyMs} ms`);
    console.log(`RSS: agent ${result.agentRssIdleMb} MB idle → ${result.agentRssWithPodsMb} MB with ${singles + burst} pods running (anonymous ${result.agentAnonIdleMb} → ${result.agentAnonWithPodsMb} MB; PSS ${result.agentPssWithPodsMb} MB), ${result.agentCpuSeconds} CPU s to start them, ${result.agentSteadyCpuPercent} % of a core with them running; API server + controllers ${result.controlPlaneRssIdleMb} → ${result.controlPlaneRssWithPodsMb} MB; containerd ${result.containerdRssIdleMb} → ${result.containerdRssWithPodsMb} MB; ${result.shims} shims ${result.shimsRssMb} MB`);
    console.log(`BENCH ${JSON.stringify(result)}`);
  } finally {
    await Promise.all(rawSandboxes.map(async (id) => { await runtime.stopSandbox(id).catch(() => {}); await runtime.removeSandbox(id).catch(() => {}); }));
    for (const root of await cgroupRoots()) await removeCgroupTree(join(root, 'kujira-bench-raw')).catch(() => {});
    cri.close();
    // The agent, on SIGTERM, removes every pod, then containerd, its bridge and rule.
    agent.kill('SIGTERM');
    await agentExited;
    await cluster.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (err: unknown) => { console.error(err); process.exit(1); });
