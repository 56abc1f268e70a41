// `kubectl exec`, `attach` and `port-forward` with the real kubectl against `kujira up --runtime containerd`:
// the API server proxies the upgrade to the node agent, the agent to containerd's stream server.
// Needs root and the Debian packages (containerd runc containernetworking-plugins busybox-static iptables);
// fails, never skips, without them.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { detectContainerdSupport } from '../../src/node/agent/detect.js';
import { kujiraBin, TestCluster, until } from '../support/cluster.js';

const run = promisify(execFile);
const DEMO = 'localhost/kujira-demo:1';

let cluster: TestCluster;
let work = '';
let nodeName = '';

interface PodJson {
  status?: { phase?: string; conditions?: { type: string; status: string }[]; containerStatuses?: { name: string; state?: { terminated?: object; running?: object } }[] };
}

async function pod(name: string): Promise<PodJson> {
  return JSON.parse(await cluster.k(['get', 'pod', name, '-o', 'json'])) as PodJson;
}

async function createPod(name: string, containers: object[], extra: object = {}, bind = true): Promise<void> {
  const file = join(work, `${name}.json`);
  await writeFile(file, JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { ...(bind ? { nodeName } : {}), containers, ...extra } }));
  await cluster.k(['apply', '--validate=false', '-f', file]);
}

const ready = (name: string) => until(`${name} Ready`, async () => (await pod(name)).status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));

/** A long-running kubectl whose output is watched; stopped by its own pid. */
function kubectlLong(args: string[]): { child: ChildProcess; out: () => string; stop: () => Promise<void> } {
  const child = spawn('kubectl', args, { env: { ...process.env, KUBECONFIG: cluster.kubeconfig }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  return {
    child,
    out: () => out,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

function httpGetText(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    httpGet(url, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

before(async () => {
  const support = await detectContainerdSupport();
  if (!support.ok) throw new Error(`the streaming e2e tests need containerd: ${support.why}`);
  work = await mkdtemp(join(tmpdir(), 'kujira-streaming-e2e-'));
  // Only the node agent: pods name their node, and an unbound pod stays unbound.
  cluster = await TestCluster.start({ command: [kujiraBin, 'up'], extraArgs: ['--runtime', 'containerd', '--controllers=node-agent'], timeoutMs: 120_000 });
  nodeName = await until('the node', async () => (await cluster.k(['get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}'])).trim());
  await createPod('pair', [
    { name: 'web', image: DEMO, imagePullPolicy: 'Never' },
    { name: 'side', image: DEMO, imagePullPolicy: 'Never', command: ['sleep', '3600'] },
  ]);
  await createPod('ticker', [{ name: 'tick', image: DEMO, imagePullPolicy: 'Never', command: ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 0.2; done'] }]);
  await createPod('reader', [{
    name: 'reader', image: DEMO, imagePullPolicy: 'Never', stdin: true, stdinOnce: true,
    command: ['sh', '-c', 'read line; echo "got $line"'],
  }], { restartPolicy: 'Never' });
  await createPod('half', [
    { name: 'web', image: DEMO, imagePullPolicy: 'Never', command: ['sleep', '3600'] },
    { name: 'done', image: DEMO, imagePullPolicy: 'Never', command: ['sh', '-c', 'exit 0'] },
  ], { restartPolicy: 'Never' });
  await Promise.all([ready('pair'), ready('ticker'), ready('reader')]);
});

after(async () => {
  // SIGTERM like SIGINT: the agent removes its pods and network before `kujira up` exits.
  await cluster?.dispose();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('kubectl exec', () => {
  it('runs a command in the only or default container and in the one named with -c', async () => {
    const r = await cluster.kubectl(['exec', 'ticker', '--', 'hostname']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'ticker\n');
    const d = await cluster.kubectl(['exec', 'pair', '--', 'hostname']);
    assert.equal(d.stdout, 'pair\n');
    assert.match(d.stderr, /Defaulted container "web" out of: web, side/);
    const side = await cluster.kubectl(['exec', '-c', 'side', 'pair', '--', 'cat', '/etc/hostname']);
    assert.equal(side.code, 0, side.stderr);
    assert.equal(side.stdout, 'pair\n');
    // Same pod, different containers: each exec runs where it was asked to (own PID namespaces).
    const ps = await cluster.k(['exec', '-c', 'side', 'pair', '--', 'ps', '-o', 'args']);
    assert.match(ps, /sleep 3600/);
  });

  it('keeps stdout and stderr apart and propagates the exit code', async () => {
    const r = await cluster.kubectl(['exec', 'pair', '-c', 'web', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(r.code, 3);
    assert.equal(r.stdout, 'out\n');
    assert.match(r.stderr, /^err\n/);
    assert.match(r.stderr, /command terminated with exit code 3/);
  });

  it('passes stdin with -i, byte for byte', async () => {
    const r = await cluster.kubectl(['exec', '-i', 'pair', '-c', 'web', '--', 'cat'], { input: 'hi\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'hi\n');
    const big = 'x'.repeat(1023) + '\n';
    const many = await cluster.kubectl(['exec', '-i', 'pair', '-c', 'web', '--', 'sh', '-c', 'wc -c; echo done'], { input: big.repeat(2048) });
    assert.equal(many.code, 0, many.stderr);
    assert.match(many.stdout, /^\s*2097152\ndone\n$/);
  });

  it('gives -it a terminal of the caller\'s size', async () => {
    // `script` lends kubectl a pseudo-terminal; the size reaches the container through the resize stream.
    const inner = `until [ "$(stty size 2>/dev/null)" = "40 100" ]; do i=$((i+1)); [ $i -gt 100 ] && break; sleep 0.1; done; tty; stty size; exit 4`;
    const cmd = `stty rows 40 cols 100; kubectl exec -it pair -c web -- sh -c '${inner}'`;
    const r = await run('script', ['-qec', cmd, '/dev/null'], { env: { ...process.env, KUBECONFIG: cluster.kubeconfig }, timeout: 30_000 }).then(
      (ok) => ({ code: 0, stdout: ok.stdout }),
      (err: { code?: number; stdout?: string }) => ({ code: err.code ?? -1, stdout: err.stdout ?? '' }),
    );
    assert.match(r.stdout, /\/dev\/pts\/\d+\r\n/);
    assert.match(r.stdout, /40 100\r\n/);
    assert.equal(r.code, 4);
  });

  it('through @kubernetes/client-node over a websocket (v4.channel.k8s.io, negotiated with the runtime)', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(cluster.kubeconfig);
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString()));
    const status = await new Promise<k8s.V1Status>((resolve, reject) => {
      new k8s.Exec(kc).exec('default', 'pair', 'web', ['sh', '-c', 'hostname; exit 5'], out, null, null, false, resolve).catch(reject);
    });
    assert.equal(status.status, 'Failure');
    assert.equal(status.reason, 'NonZeroExitCode');
    assert.equal(status.details?.causes?.[0]?.message, '5');
    await until('exec output', async () => text === 'pair\n', 5000);
  });
});

describe('kubectl port-forward and attach', () => {
  it('port-forward carries HTTP to the pod\'s port', async () => {
    const pf = kubectlLong(['port-forward', 'pod/pair', ':8080']);
    try {
      const port = await until('the forwarding line', async () => /Forwarding from 127\.0\.0\.1:(\d+) -> 8080/.exec(pf.out())?.[1], 30_000);
      const answers = await Promise.all([1, 2, 3].map(() => httpGetText(`http://127.0.0.1:${port}/`)));
      for (const a of answers) {
        assert.equal(a.status, 200);
        assert.match(a.body, /kujira-demo/);
      }
    } finally {
      await pf.stop();
    }
  });

  it('attach -i feeds the container\'s stdin; with stdinOnce it closes when the client leaves', async () => {
    const r = await cluster.kubectl(['attach', '-i', 'reader'], { input: 'hello\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /got hello/);
    await until('reader Succeeded', async () => (await pod('reader')).status?.phase === 'Succeeded');
    const done = await cluster.kubectl(['exec', 'reader', '--', 'ls']);
    assert.equal(done.code, 1);
    assert.match(done.stderr, /cannot exec into a container in a completed pod; current phase is Succeeded/);
  });

  it('attach streams what the container prints', async () => {
    const at = kubectlLong(['attach', 'ticker']);
    try {
      const first = await until('a tick', async () => /tick (\d+)/.exec(at.out())?.[1], 30_000);
      await until('later ticks', async () => [...at.out().matchAll(/tick (\d+)/g)].some((m) => Number(m[1]) > Number(first) + 2), 30_000);
    } finally {
      await at.stop();
    }
  });
});

describe('bad input', () => {
  it('a container the pod does not have is refused by the API server', async () => {
    const r = await cluster.kubectl(['exec', 'pair', '-c', 'foo', '--', 'ls']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Error from server \(BadRequest\): container foo is not valid for pod pair/);
  });

  it('a container that is not running gives the kubelet\'s error, and the node keeps serving', async () => {
    await until('done terminated', async () => (await pod('half')).status?.containerStatuses?.find((c) => c.name === 'done')?.state?.terminated);
    const r = await cluster.kubectl(['exec', 'half', '-c', 'done', '--', 'ls']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error: unable to upgrade connection: container not found \("done"\)/);
    const a = await cluster.kubectl(['attach', 'half', '-c', 'done']);
    assert.equal(a.code, 1);
    assert.match(a.stderr, /unable to upgrade connection: container not found \("done"\)/);
    assert.equal(await cluster.k(['exec', 'half', '-c', 'web', '--', 'hostname']), 'half\n');
  });

  it('a pod not yet bound to a node has no host to exec on', async () => {
    await createPod('unbound', [{ name: 'app', image: DEMO }], {}, false);
    const r = await cluster.kubectl(['exec', 'unbound', '--', 'ls']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Error from server \(BadRequest\): pod unbound does not have a host assigned/);
    const pf = await cluster.http('POST', '/api/v1/namespaces/default/pods/nope/exec?command=ls&stdout=true', { headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1' } });
    assert.equal(pf.status, 404);
    assert.equal(pf.json().message, 'pods "nope" not found');
  });

  it('a node without a kubelet endpoint is named in the error', async () => {
    const file = join(work, 'ghost-node.json');
    await writeFile(file, JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'ghost' } }));
    await cluster.k(['apply', '--validate=false', '-f', file]);
    await createPod('haunted', [{ name: 'app', image: DEMO }], { nodeName: 'ghost' }, false);
    const r = await cluster.kubectl(['exec', 'haunted', '--', 'ls']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Error from server \(ServiceUnavailable\): node "ghost" has no kubelet endpoint/);
    const pf = await cluster.kubectl(['port-forward', 'haunted', ':80'], { timeoutMs: 10_000 });
    assert.equal(pf.code, 1);
    assert.match(pf.stderr, /pod is not running/);
  });

  it('a request without an upgrade is answered "Upgrade request required"', async () => {
    const r = await cluster.http('POST', '/api/v1/namespaces/default/pods/pair/exec?command=ls&container=web&stdout=true');
    assert.equal(r.status, 400);
    assert.equal(r.json().message, 'Upgrade request required');
  });

  it('nobody without credentials gets in: neither the API server nor the agent\'s endpoint', async () => {
    const api = await cluster.http('POST', '/api/v1/namespaces/default/pods/pair/exec?command=hostname&stdout=true', { auth: 'none', headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1' } });
    assert.equal(api.status, 401);
    const node = JSON.parse(await cluster.k(['get', 'node', nodeName, '-o', 'json'])) as { status: { addresses: { type: string; address: string }[]; daemonEndpoints: { kubeletEndpoint: { Port: number } } } };
    const host = node.status.addresses.find((a) => a.type === 'InternalIP')!.address;
    const port = node.status.daemonEndpoints.kubeletEndpoint.Port;
    const { token } = await cluster.credentials();
    // A certificate from another CA is no better than none.
    const foreignKey = join(work, 'foreign.key');
    const foreignCert = join(work, 'foreign.crt');
    await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', foreignKey, '-out', foreignCert, '-days', '1', '-subj', '/O=system:masters/CN=intruder']);
    const attempts: { name: string; headers: Record<string, string>; cert?: string; key?: string }[] = [
      { name: 'no credentials', headers: {} },
      { name: 'the API server admin token', headers: { Authorization: `Bearer ${token}` } },
      { name: 'a foreign certificate', headers: {}, cert: await readFile(foreignCert, 'utf8'), key: await readFile(foreignKey, 'utf8') },
    ];
    for (const a of attempts) {
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpsRequest({
          host, port, method: 'POST', path: '/exec/default/pair/web?command=hostname&output=1', rejectUnauthorized: false,
          headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'v4.channel.k8s.io', ...a.headers },
          ...(a.cert ? { cert: a.cert, key: a.key } : {}),
        });
        req.on('response', (res) => { res.resume(); resolve(res.statusCode ?? 0); });
        req.on('upgrade', (res, socket) => { socket.destroy(); resolve(res.statusCode ?? 0); });
        req.on('error', reject);
        req.end();
      });
      assert.equal(status, 401, a.name);
    }
  });

  it('discovery lists pods/attach, pods/exec and pods/portforward', async () => {
    const list = JSON.parse(await cluster.k(['get', '--raw', '/api/v1'])) as { resources: { name: string; kind: string; verbs: string[] }[] };
    for (const [name, kind] of [['pods/attach', 'PodAttachOptions'], ['pods/exec', 'PodExecOptions'], ['pods/portforward', 'PodPortForwardOptions']]) {
      const r = list.resources.find((x) => x.name === name);
      assert.ok(r, name);
      assert.equal(r.kind, kind);
      assert.deepEqual(r.verbs, ['create', 'get']);
    }
  });
});
