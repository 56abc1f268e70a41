// Lifecycle hooks and log rotation on a real node, through the real kubectl: preStop (exec, httpGet, sleep) runs
// before SIGTERM within the grace period, a failing one gives FailedPreStopHook (tcpSocket is no handler, as with the
// kubelet); postStart (exec, httpGet) runs after the start, a failing one kills the container (FailedPostStartHook,
// PostStartHookError); logs rotate at a (small, here) size as the kubelet rotates them, and kubectl logs, -f and
// --previous keep working.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { readdir, readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DEMO_IMAGE, startAgentHarness, until, type AgentHarness } from './nodeagent-harness.js';

const LOG_MAX_SIZE = 4096;
const LOG_MAX_FILES = 3;

let h: AgentHarness;
/** A server on the host's loopback that records what lifecycle hooks ask of it. */
let hookServer: Server;
let hookPort = 0;
const hookRequests: { path: string; userAgent: string }[] = [];

const demo = (extra: object = {}) => ({ name: 'c', image: DEMO_IMAGE, imagePullPolicy: 'Never', ...extra });
/** A hostPath the test reads afterwards (created by the node). */
const traceVolume = (name: string) => ({ name: 'trace', hostPath: { path: join(h.dir, name), type: 'DirectoryOrCreate' } });
const traceMount = { name: 'trace', mountPath: '/trace' };
/** Appends "term" to /trace/log on SIGTERM and exits 0. */
const termRecorder = ['sh', '-c', 'trap "echo term >> /trace/log; exit 0" TERM; while :; do sleep 0.1; done'];

async function running(name: string): Promise<void> {
  await until(`${name} running`, async () => (await h.getPod(name)).status?.containerStatuses?.[0]?.state?.running !== undefined);
}

async function deleteTimed(name: string): Promise<number> {
  const t0 = Date.now();
  await h.k(['delete', 'pod', name, '--wait=true']);
  return Date.now() - t0;
}

before(async () => {
  hookServer = createServer((req, res) => {
    hookRequests.push({ path: req.url ?? '', userAgent: req.headers['user-agent'] ?? '' });
    res.writeHead(200).end('ok\n');
  });
  await new Promise<void>((resolve) => hookServer.listen(0, '127.0.0.1', resolve));
  hookPort = (hookServer.address() as AddressInfo).port;
  h = await startAgentHarness('kujira-agent-lifecycle-', 'agent-lifecycle', {
    backoff: { baseMs: 1000, maxMs: 4000 },
    containerLogMaxSize: LOG_MAX_SIZE, containerLogMaxFiles: LOG_MAX_FILES, containerLogMonitorIntervalMs: 250,
  });
});

after(async () => {
  await h?.stop();
  await new Promise<void>((resolve) => (hookServer ? hookServer.close(() => resolve()) : resolve()));
});

test('preStop exec and httpGet run before SIGTERM', async () => {
  await h.apply({ metadata: { name: 'prestop-exec' }, spec: { volumes: [traceVolume('prestop-exec')], containers: [demo({
    command: termRecorder, volumeMounts: [traceMount],
    lifecycle: { preStop: { exec: { command: ['sh', '-c', 'echo prestop >> /trace/log'] } } },
  })] } });
  // The demo stops serving on SIGTERM: the hook's request can only have been answered before it.
  await h.apply({ metadata: { name: 'prestop-http' }, spec: { volumes: [traceVolume('prestop-http')], containers: [demo({
    volumeMounts: [traceMount],
    lifecycle: { preStop: { httpGet: { path: '/write?path=/trace/log&text=prestop-http', port: 8080 } } },
  })] } });
  await running('prestop-exec');
  await running('prestop-http');
  await deleteTimed('prestop-exec');
  assert.equal(await readFile(join(h.dir, 'prestop-exec', 'log'), 'utf8'), 'prestop\nterm\n');
  await deleteTimed('prestop-http');
  assert.equal(await readFile(join(h.dir, 'prestop-http', 'log'), 'utf8'), 'prestop-http\n');
  for (const name of ['prestop-exec', 'prestop-http']) {
    const events = await h.eventsOf(name);
    assert.ok(events.includes('Killing: Stopping container c'), events.join('\n'));
    assert.ok(!events.some((e) => e.startsWith('FailedPreStopHook')), events.join('\n'));
  }
});

test('preStop sleep holds SIGTERM back for its seconds, within the grace period', async () => {
  await h.apply({ metadata: { name: 'prestop-sleep' }, spec: { terminationGracePeriodSeconds: 20, volumes: [traceVolume('prestop-sleep')], containers: [demo({
    command: termRecorder, volumeMounts: [traceMount], lifecycle: { preStop: { sleep: { seconds: 2 } } },
  })] } });
  await running('prestop-sleep');
  const took = await deleteTimed('prestop-sleep');
  assert.ok(took >= 2000 && took < 8000, `deletion took ${took} ms`);
  // SIGTERM came after the sleep (not SIGKILL at the end of the grace period).
  assert.equal(await readFile(join(h.dir, 'prestop-sleep', 'log'), 'utf8'), 'term\n');
});

test('a failing preStop hook gives FailedPreStopHook and the container still stops; tcpSocket is no handler', async () => {
  await h.apply({ metadata: { name: 'prestop-refused' }, spec: { volumes: [traceVolume('prestop-refused')], containers: [demo({
    command: termRecorder, volumeMounts: [traceMount], lifecycle: { preStop: { httpGet: { path: '/bye', port: 9 } } },
  })] } });
  await h.apply({ metadata: { name: 'prestop-tcp' }, spec: { volumes: [traceVolume('prestop-tcp')], containers: [demo({
    command: termRecorder, volumeMounts: [traceMount], lifecycle: { preStop: { tcpSocket: { port: 8080 } } },
  })] } });
  await running('prestop-refused');
  await running('prestop-tcp');
  for (const name of ['prestop-refused', 'prestop-tcp']) {
    const took = await deleteTimed(name);
    assert.ok(took < 10_000, `${name}: deletion took ${took} ms`);
    assert.equal(await readFile(join(h.dir, name, 'log'), 'utf8'), 'term\n');
    const events = await until(`${name} FailedPreStopHook`, async () => { const e = await h.eventsOf(name); return e.some((x) => x.startsWith('FailedPreStopHook')) && e; });
    assert.ok(events.includes('FailedPreStopHook: PreStopHook failed'), events.join('\n'));
  }
});

test('postStart exec and httpGet run once the container has started', async () => {
  await h.apply({ metadata: { name: 'poststart' }, spec: { containers: [demo({
    lifecycle: { postStart: { exec: { command: ['sh', '-c', 'echo from-post-start > /tmp/post-start'] } } },
  }), demo({
    name: 'web2', command: ['sleep', '3600'],
    lifecycle: { postStart: { httpGet: { host: '127.0.0.1', port: hookPort, path: '/post-start?pod=poststart' } } },
  })] } });
  await until('both running', async () => (await h.getPod('poststart')).status?.containerStatuses?.every((c) => c.state?.running));
  assert.equal(await h.k(['exec', 'poststart', '-c', 'c', '--', 'cat', '/tmp/post-start']), 'from-post-start\n');
  assert.deepEqual(hookRequests.filter((r) => r.path.startsWith('/post-start')), [{ path: '/post-start?pod=poststart', userAgent: 'kube-lifecycle/1.32' }]);
  const events = await h.eventsOf('poststart');
  assert.ok(!events.some((e) => e.startsWith('FailedPostStartHook')), events.join('\n'));
  assert.equal((await h.getPod('poststart')).status?.containerStatuses?.every((c) => c.restartCount === 0), true);
  await h.k(['delete', 'pod', 'poststart', '--wait=false']);
});

test('a failing postStart hook kills the container: FailedPostStartHook, PostStartHookError, then CrashLoopBackOff', async () => {
  const watch = h.background(['get', 'pods', '--field-selector', 'metadata.name=poststart-fails', '-w', '-o',
    'jsonpath={.status.containerStatuses[0].state.waiting.reason}{"|"}{.status.containerStatuses[0].state.waiting.message}{"\\n"}']);
  try {
    await h.apply({ metadata: { name: 'poststart-fails' }, spec: { containers: [demo({
      lifecycle: { postStart: { exec: { command: ['sh', '-c', 'echo oops; exit 3'] } } },
    })] } });
    const lines = await until('CrashLoopBackOff', async () => { const l = watch.out().split('\n'); return l.some((x) => x.startsWith('CrashLoopBackOff|')) && l; }, 20_000)
      .catch((err: Error) => { throw new Error(`${err.message}; kubectl printed ${JSON.stringify(watch.out())}`); });
    const uid = (await h.getPod('poststart-fails')).metadata?.uid;
    const hookError = lines.find((l) => l.startsWith('PostStartHookError|'));
    assert.equal(hookError, `PostStartHookError|Exec lifecycle hook ([sh -c echo oops; exit 3]) for Container "c" in Pod "poststart-fails_default(${uid})" failed - error: command 'sh -c echo oops; exit 3' exited with 3: , message: "oops\\n"`);
    const events = await h.eventsOf('poststart-fails');
    assert.ok(events.includes('FailedPostStartHook: PostStartHook failed'), events.join('\n'));
    assert.ok(events.includes('Killing: FailedPostStartHook'), events.join('\n'));
    const st = (await h.getPod('poststart-fails')).status?.containerStatuses?.[0];
    assert.ok((st?.restartCount ?? 0) >= 1, JSON.stringify(st));
    // Killed with SIGTERM, which the demo answers by exiting 0.
    assert.equal(st?.lastState?.terminated?.exitCode, 0);
  } finally {
    await watch.stop();
  }
  await h.k(['delete', 'pod', 'poststart-fails', '--wait=false']);
});

test('a postStart hook that hangs does not hold up the pod\'s deletion', async () => {
  await h.apply({ metadata: { name: 'poststart-hangs' }, spec: { terminationGracePeriodSeconds: 3, containers: [demo({
    lifecycle: { postStart: { exec: { command: ['sleep', '3600'] } } },
  })] } });
  // The container runs while its hook does; the pod is not reported Running before the hook is done (as with the kubelet).
  await until('the container running in the runtime', async () => {
    const sb = (await h.agent.runtime.listSandboxes()).find((s) => s.name === 'poststart-hangs');
    return sb && (await h.agent.runtime.listContainers({ sandboxId: sb.id })).some((c) => c.state === 'running');
  });
  assert.notEqual((await h.getPod('poststart-hangs')).status?.phase, 'Running');
  const t0 = Date.now();
  await h.k(['delete', 'pod', 'poststart-hangs', '--wait=true']);
  assert.ok(Date.now() - t0 < 15_000, `deletion took ${Date.now() - t0} ms`);
  assert.deepEqual((await h.agent.runtime.listSandboxes()).filter((s) => s.name === 'poststart-hangs'), []);
});

/** Line numbers of "line N ..." output, in order. */
const numbers = (text: string) => text.split('\n').filter((l) => l.startsWith('line ')).map((l) => Number(l.split(' ')[1]));
const consecutive = (ns: number[]) => ns.every((n, i) => i === 0 || n === ns[i - 1]! + 1);

test('logs rotate at the size limit as the kubelet names them; kubectl logs, -f and --previous still work', async () => {
  // About 100 lines a second of 100 bytes, numbered; it exits 1 once told to (by a file exec creates).
  const chatter = 'i=0; while [ ! -f /tmp/stop ]; do i=$((i+1)); echo "line $i $(printf %090d 0)"; sleep 0.01; done; echo "line $((i+1)) last"; exit 1';
  await h.apply({ metadata: { name: 'chatty' }, spec: { containers: [demo({ command: ['sh', '-c', chatter] })] } });
  await running('chatty');
  const uid = (await h.getPod('chatty')).metadata!.uid!;
  const logDir = join(h.dir, 'node', 'pods', uid, 'logs', 'c');
  const follow = h.background(['logs', '-f', 'chatty']);
  try {
    // Two rotations at least: a compressed file and a plain one beside the current file, never more than max files.
    const files = await until('a compressed rotated log', async () => {
      const names = (await readdir(logDir)).sort();
      assert.ok(names.length <= LOG_MAX_FILES, names.join(' '));
      return names.some((n) => n.endsWith('.gz')) && names;
    }, 30_000);
    assert.equal(files[0], '0.log');
    for (const n of files.slice(1)) assert.match(n, /^0\.log\.\d{8}-\d{6}(\.gz)?$/);

    // kubectl logs reads the current file only: it starts after line 1 and has no gaps.
    const current = numbers(await h.k(['logs', 'chatty']));
    assert.ok(current.length > 0 && current[0]! > 1, `current file starts at ${current[0]}`);
    assert.ok(consecutive(current));

    // logs -f went on through the rotations without losing or repeating a line.
    await until('-f past a rotation', async () => numbers(follow.out()).length > 200, 20_000);
    const followed = numbers(follow.out());
    assert.equal(followed[0], 1);
    assert.ok(consecutive(followed), `gap in ${followed.join(',')}`);
  } finally {
    await follow.stop();
  }

  // --previous reads the exited attempt's current file.
  await h.k(['exec', 'chatty', '--', 'touch', '/tmp/stop']);
  await until('a restart', async () => ((await h.getPod('chatty')).status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1, 20_000);
  const previous = await h.k(['logs', 'chatty', '--previous']);
  assert.match(previous, /^line \d+ last\n$/m);
  assert.ok(previous.endsWith(' last\n'), previous.slice(-200));
  assert.ok(consecutive(numbers(previous)));
  const now = numbers(await until('the new attempt\'s lines', async () => { const l = await h.k(['logs', 'chatty']); return l.includes('line ') && l; }));
  assert.ok(consecutive(now));
  await h.k(['delete', 'pod', 'chatty', '--wait=false']);
});

test('each pod gets a cgroup under its QoS class, capped at the sum of its containers\' limits; burstable/ has the shares of the Burstable pods\' summed cpu requests', async () => {
  const sleeper = (name: string, resources: object) => demo({ name, command: ['sleep', '3600'], resources });
  await h.apply({ metadata: { name: 'cg-burstable' }, spec: { containers: [
    sleeper('a', { requests: { cpu: '100m' }, limits: { cpu: '200m', memory: '32Mi' } }),
    sleeper('b', { requests: { cpu: '100m' }, limits: { cpu: '300m', memory: '16Mi' } }),
  ] } });
  await h.apply({ metadata: { name: 'cg-guaranteed' }, spec: { containers: [sleeper('a', { limits: { cpu: '250m', memory: '64Mi' } })] } });
  await h.apply({ metadata: { name: 'cg-besteffort' }, spec: { containers: [sleeper('a', {})] } });
  await h.apply({ metadata: { name: 'cg-burstable-2' }, spec: { containers: [sleeper('a', { requests: { cpu: '250m' } })] } });
  const expected: Record<string, { qosDir: string; shares: string; quota: string; memory: string }> = {
    'cg-burstable': { qosDir: 'burstable/', shares: '204', quota: '50000', memory: String(48 * 1024 * 1024) },
    'cg-guaranteed': { qosDir: '', shares: '256', quota: '25000', memory: String(64 * 1024 * 1024) },
    // No quota (-1) and the kernel's "no limit".
    'cg-besteffort': { qosDir: 'besteffort/', shares: '2', quota: '-1', memory: '9223372036854771712' },
    'cg-burstable-2': { qosDir: 'burstable/', shares: '256', quota: '-1', memory: '9223372036854771712' },
  };
  const qosDirs: Record<string, string> = {};
  for (const [name, want] of Object.entries(expected)) {
    const pod = await until(`${name} running`, async () => { const p = await h.getPod(name); return p.status?.containerStatuses?.every((c) => c.state?.running) && p; });
    const uid = pod.metadata!.uid!;
    // The container's own cgroup (v1, no cgroup namespace) is <pod cgroup>/<container id>.
    const line = (await h.k(['exec', name, '-c', 'a', '--', 'cat', '/proc/self/cgroup'])).split('\n').find((l) => /^\d+:memory:/.test(l))!;
    const own = line.split(':')[2]!;
    const podCgroup = own.slice(0, own.lastIndexOf('/'));
    assert.match(podCgroup, new RegExp(`^/kujira-[0-9a-f]+/${want.qosDir}pod${uid}$`));
    const read = async (controller: string, file: string) => (await readFile(join('/sys/fs/cgroup', controller, podCgroup, file), 'utf8')).trim();
    assert.equal(await read('cpu', 'cpu.shares'), want.shares, name);
    assert.equal(await read('cpu', 'cpu.cfs_quota_us'), want.quota, name);
    assert.equal(await read('memory', 'memory.limit_in_bytes'), want.memory, name);
    assert.equal(pod.status?.qosClass, { 'burstable/': 'Burstable', '': 'Guaranteed', 'besteffort/': 'BestEffort' }[want.qosDir]);
    qosDirs[name] = join('/sys/fs/cgroup/cpu', podCgroup, '..');
  }
  // The QoS cgroups, as the kubelet keeps them: burstable/ gets the shares of the Burstable pods' summed cpu requests
  // (100m + 100m + 250m = 450m → 460), besteffort/ the minimum.
  const qosShares = async (name: string) => (await readFile(join(qosDirs[name]!, 'cpu.shares'), 'utf8')).trim();
  assert.equal(qosDirs['cg-burstable'], qosDirs['cg-burstable-2']);
  assert.equal(await qosShares('cg-burstable'), '460');
  assert.equal(await qosShares('cg-besteffort'), '2');
  // Deleting a pod removes its cgroup.
  const uid = (await h.getPod('cg-burstable')).metadata!.uid!;
  const line = (await h.k(['exec', 'cg-burstable', '-c', 'a', '--', 'cat', '/proc/self/cgroup'])).split('\n').find((l) => /^\d+:memory:/.test(l))!;
  const podDir = join('/sys/fs/cgroup/memory', line.split(':')[2]!, '..');
  await h.k(['delete', 'pod', 'cg-burstable', '--wait=true', '--grace-period=2']);
  await assert.rejects(readdir(podDir), /ENOENT/, `pod${uid}'s cgroup is gone`);
  // ...and the burstable total drops to the remaining pod's 250m.
  await until('the burstable shares re-summed', async () => (await qosShares('cg-burstable')) === '256');
  for (const name of ['cg-guaranteed', 'cg-besteffort', 'cg-burstable-2']) await h.k(['delete', 'pod', name, '--wait=false']);
});
