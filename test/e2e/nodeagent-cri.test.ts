// The CRI layer alone against a real, private containerd: namespaces shared in a sandbox, CRI log format,
// OOM kill, exec. Needs root and the Debian packages; fails (never skips) without them.
import assert from 'node:assert/strict';
import { readFile, readlink, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { detectContainerdSupport } from '../../src/node/agent/detect.js';
import { startContainerd, type ContainerdHandle } from '../../src/runtime/cri/containerd.js';
import { DEMO_IMAGE, ensureBuiltinImages } from '../../src/runtime/cri/images.js';
import { CriRuntime } from '../../src/runtime/cri/runtime.js';
import type { ContainerSpec, SandboxSpec } from '../../src/runtime/runtime.js';
import { ExecError } from '../../src/runtime/runtime.js';

let dir = '';
let handle: ContainerdHandle | undefined;
let runtime: CriRuntime;

const sandbox = (name: string): SandboxSpec => ({
  name, namespace: 'default', uid: `uid-${name}`, attempt: 0, hostname: name, logDirectory: join(dir, 'logs', name),
  dns: { servers: [], searches: ['default.svc.cluster.local'], options: ['ndots:5'] }, portMappings: [], labels: { test: name }, annotations: {},
  cgroupParent: `/kujira-cri-test/pod${name}`, shareProcessNamespace: false,
});
const container = (name: string, command: string[], extra: Partial<ContainerSpec> = {}): ContainerSpec => ({
  name, attempt: 0, image: DEMO_IMAGE, command, args: [], env: [{ name: 'GREETING', value: 'hi' }], mounts: [], labels: {}, annotations: {},
  logPath: `${name}/0.log`, resources: {}, tty: false, stdin: false, stdinOnce: false, privileged: false, readOnlyRootFilesystem: false, shareProcessNamespace: false, ...extra,
});

async function until<T>(what: string, fn: () => Promise<T | undefined | false | null>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await fn();
    if (v) return v;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function pidOf(id: string): Promise<number> {
  // The pid as seen from the host: the container's init is the process whose cgroup holds the container id.
  const tasks = await readFile(`/sys/fs/cgroup/pids/kujira-cri-test/podtwo/${id}/tasks`, 'utf8');
  return Number(tasks.trim().split('\n')[0]);
}

before(async () => {
  const support = await detectContainerdSupport();
  if (!support.ok) throw new Error(`the CRI tests need containerd: ${support.why}`);
  dir = await mkdtemp(join(tmpdir(), 'kujira-cri-'));
  handle = await startContainerd({ dataDir: join(dir, 'node') });
  runtime = new CriRuntime(handle.client);
  await ensureBuiltinImages(handle.socket, handle.client, null, [DEMO_IMAGE]);
});

after(async () => {
  await handle?.stop({ removePods: true });
  const { cgroupRoots, removeCgroupTree } = await import('../../src/runtime/cri/host.js');
  for (const root of await cgroupRoots()) await removeCgroupTree(join(root, 'kujira-cri-test'));
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('two containers in a sandbox share net, ipc and uts but not pid; logs are in the CRI format', async () => {
  const spec = sandbox('two');
  const sb = await runtime.runSandbox(spec);
  const status = await runtime.sandboxStatus(sb);
  assert.equal(status?.state, 'ready');
  assert.match(status?.ips[0] ?? '', /^10\./);
  const a = await runtime.createContainer(sb, container('a', ['sh', '-c', 'echo "$GREETING from a"; exec sleep 3600']), spec);
  const b = await runtime.createContainer(sb, container('b', ['sh', '-c', 'echo to-stderr >&2; exec sleep 3600']), spec);
  await runtime.startContainer(a);
  await runtime.startContainer(b);
  const pa = await pidOf(a);
  const pb = await pidOf(b);
  for (const ns of ['net', 'ipc', 'uts']) {
    assert.equal(await readlink(`/proc/${pa}/ns/${ns}`), await readlink(`/proc/${pb}/ns/${ns}`), `${ns} shared`);
  }
  assert.notEqual(await readlink(`/proc/${pa}/ns/pid`), await readlink(`/proc/${pb}/ns/pid`), 'pid not shared');
  const hostname = await runtime.execSync(b, ['hostname'], 5);
  assert.equal(hostname.stdout.toString().trim(), 'two');
  const resolv = await runtime.execSync(a, ['cat', '/etc/resolv.conf'], 5);
  assert.match(resolv.stdout.toString(), /search default\.svc\.cluster\.local/);
  const logA = await until('log a', async () => (await readFile(join(spec.logDirectory, 'a/0.log'), 'utf8').catch(() => '')) || null);
  assert.match(logA, /^\d{4}-\d\d-\d\dT[\d:.]+Z stdout F hi from a\n/);
  const logB = await until('log b', async () => (await readFile(join(spec.logDirectory, 'b/0.log'), 'utf8').catch(() => '')) || null);
  assert.match(logB, / stderr F to-stderr\n/);
  await runtime.stopContainer(a, 1);
  const stopped = await runtime.containerStatus(a);
  assert.equal(stopped?.state, 'exited');
  await runtime.stopSandbox(sb);
  await runtime.removeSandbox(sb);
  assert.equal(await runtime.sandboxStatus(sb), null);
});

test('exec: exit codes, a missing command and a timeout', async () => {
  const spec = sandbox('exec');
  const sb = await runtime.runSandbox(spec);
  const c = await runtime.createContainer(sb, container('c', ['sleep', '3600']), spec);
  await runtime.startContainer(c);
  assert.equal((await runtime.execSync(c, ['sh', '-c', 'exit 3'], 5)).exitCode, 3);
  await assert.rejects(runtime.execSync(c, ['/no/such/binary'], 5), ExecError);
  await assert.rejects(runtime.execSync(c, ['sleep', '5'], 1), (err: unknown) => err instanceof ExecError && err.timedOut);
  await runtime.stopSandbox(sb);
  await runtime.removeSandbox(sb);
});

test('a container over its memory limit is reported OOMKilled with exit code 137', async () => {
  const spec = sandbox('oom');
  const sb = await runtime.runSandbox(spec);
  const c = await runtime.createContainer(sb, container('hog', ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=64M', 'count=1'], { resources: { memoryLimitBytes: 32 * 2 ** 20 } }), spec);
  await runtime.startContainer(c);
  const st = await until('exit', async () => { const s = await runtime.containerStatus(c); return s?.state === 'exited' && s; });
  assert.equal(st.reason, 'OOMKilled');
  assert.equal(st.exitCode, 137);
  await runtime.stopSandbox(sb);
  await runtime.removeSandbox(sb);
});

test('the demo image logs its start, exits 0 on SIGTERM at once and says so', async () => {
  const spec = sandbox('demo');
  const sb = await runtime.runSandbox(spec);
  const c = await runtime.createContainer(sb, container('web', [], { image: DEMO_IMAGE }), spec);
  await runtime.startContainer(c);
  const logFile = join(spec.logDirectory, 'web/0.log');
  await until('start line', async () => (await readFile(logFile, 'utf8').catch(() => '')).includes('kujira-demo: starting on port 8080 as demo'));
  const t0 = Date.now();
  await runtime.stopContainer(c, 10);
  assert.ok(Date.now() - t0 < 3000, `stop took ${Date.now() - t0} ms`);
  const st = await runtime.containerStatus(c);
  assert.equal(st?.exitCode, 0);
  assert.equal(st?.reason, 'Completed');
  assert.match(await readFile(logFile, 'utf8'), / stdout F kujira-demo: SIGTERM received, exiting\n/);
  await runtime.stopSandbox(sb);
  await runtime.removeSandbox(sb);
});
