// Live check against the real kubectl: a tiny HTTPS server answers discovery and records the
// bodies kubectl sends; every protobuf body must decode to the object the same command prints
// with --dry-run=client -o json. Runs for the kubectl on PATH and, when present beside it, the
// oldest and newest versioned binaries (kubectl.1.27, kubectl.1.33 in the Cloud SDK layout).
// Measured: 1.27-1.31 send JSON; 1.32 and 1.33 send typed-client writes as protobuf (drain's
// eviction stays JSON); autoscale posts autoscaling/v1 up to 1.32 and autoscaling/v2 in 1.33.
// With KUJIRA_WRITE_PROTOBUF_FIXTURES=1 it also refreshes testdata/ for decode.test.ts.
import { execFile } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ensurePki } from '../certs/pki.js';
import { decodeKubernetesProtobuf, PROTOBUF_MEDIA_TYPE } from './index.js';
import { dropNulls, FIXTURE_CASES, RICH_POD } from './fixtures.js';

const run = promisify(execFile);

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(dir, name);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

const KUBECTL = onPath('kubectl');
const versions: { label: string; bin: string }[] = [];
if (KUBECTL) {
  versions.push({ label: 'PATH', bin: KUBECTL });
  const dir = dirname(realpathSync(KUBECTL));
  for (const v of ['1.27', '1.33']) {
    const bin = join(dir, `kubectl.${v}`);
    if (existsSync(bin)) versions.push({ label: v, bin });
  }
}

interface Captured {
  method: string;
  path: string;
  contentType: string;
  accept: string;
  body: Buffer;
}

/** Just enough of an API server for kubectl's typed clients to send their writes. */
class CaptureServer {
  readonly captured: Captured[] = [];
  private readonly objects = new Map<string, Record<string, unknown>>();
  private server?: Server;
  port = 0;

  constructor(private readonly tls: { key: string; cert: string }) {}

  async start(): Promise<void> {
    this.server = createServer(this.tls, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'https://127.0.0.1');
        const body = Buffer.concat(chunks);
        const entry: Captured = {
          method: req.method ?? 'GET',
          path: url.pathname,
          contentType: req.headers['content-type'] ?? '',
          accept: req.headers.accept ?? '',
          body,
        };
        if (body.length > 0) this.captured.push(entry);
        const [code, answer] = this.answer(entry, url);
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  put(path: string, obj: Record<string, unknown>): void {
    this.objects.set(path, obj);
  }

  remove(path: string): void {
    this.objects.delete(path);
  }

  private decode(c: Captured): Record<string, unknown> {
    if (c.contentType.startsWith(PROTOBUF_MEDIA_TYPE)) return decodeKubernetesProtobuf(c.body).object;
    return JSON.parse(c.body.toString('utf8')) as Record<string, unknown>;
  }

  private answer(c: Captured, url: URL): [number, unknown] {
    const p = c.path;
    if (p === '/version') return [200, { major: '1', minor: '32', gitVersion: 'v1.32.0', platform: 'linux/amd64' }];
    if (p === '/api') return [200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] }];
    if (p === '/apis') {
      return [
        200,
        {
          kind: 'APIGroupList',
          apiVersion: 'v1',
          groups: Object.entries(GROUPS).map(([name, vs]) => ({
            name,
            versions: vs.map((v) => ({ groupVersion: `${name}/${v}`, version: v })),
            preferredVersion: { groupVersion: `${name}/${vs[0]}`, version: vs[0] },
          })),
        },
      ];
    }
    const list = RESOURCES[p];
    if (list) {
      return [
        200,
        {
          kind: 'APIResourceList',
          apiVersion: 'v1',
          groupVersion: p.replace(/^\/apis?\//, ''),
          resources: list.map(([name, kind, namespaced, group, version]) => ({
            name,
            singularName: '',
            namespaced,
            kind,
            verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
            ...(group ? { group, version } : {}),
          })),
        },
      ];
    }
    if (c.method === 'GET' && p === '/api/v1/pods') {
      const node = /spec\.nodeName=([^,]+)/.exec(url.searchParams.get('fieldSelector') ?? '')?.[1];
      const items = [...this.objects.entries()].filter(([k, o]) => k.includes('/pods/') && (o.spec as { nodeName?: string } | undefined)?.nodeName === node).map(([, o]) => o);
      return [200, { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '10' }, items }];
    }
    if (c.method === 'GET' || c.method === 'PATCH') {
      const obj = this.objects.get(p);
      return obj ? [200, obj] : notFound();
    }
    if (c.method === 'POST' && p.endsWith('/eviction')) {
      this.objects.delete(p.slice(0, -'/eviction'.length));
      return [201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 }];
    }
    if (c.method === 'POST') {
      const obj = this.decode(c);
      const meta = (obj.metadata ?? {}) as Record<string, unknown>;
      const stored = { ...obj, metadata: { ...meta, uid: 'uid-1', resourceVersion: '1', creationTimestamp: '2024-01-01T00:00:00Z' } };
      this.objects.set(`${p}/${String(meta.name)}`, stored);
      return [201, stored];
    }
    if (c.method === 'DELETE') {
      const obj = this.objects.get(p);
      this.objects.delete(p);
      return obj ? [200, obj] : notFound();
    }
    return notFound();
  }
}

function notFound(): [number, unknown] {
  return [404, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'NotFound', code: 404, message: 'not found' }];
}

const GROUPS: Record<string, string[]> = {
  apps: ['v1'],
  autoscaling: ['v2', 'v1'],
  policy: ['v1'],
  'coordination.k8s.io': ['v1'],
};

const RESOURCES: Record<string, [string, string, boolean, string?, string?][]> = {
  '/api/v1': [
    ['namespaces', 'Namespace', false],
    ['pods', 'Pod', true],
    ['pods/eviction', 'Eviction', true, 'policy', 'v1'],
    ['pods/binding', 'Binding', true],
    ['nodes', 'Node', false],
    ['events', 'Event', true],
    ['configmaps', 'ConfigMap', true],
    ['secrets', 'Secret', true],
    ['services', 'Service', true],
    ['serviceaccounts', 'ServiceAccount', true],
    ['resourcequotas', 'ResourceQuota', true],
  ],
  '/apis/apps/v1': [
    ['deployments', 'Deployment', true],
    ['deployments/scale', 'Scale', true, 'autoscaling', 'v1'],
    ['replicasets', 'ReplicaSet', true],
  ],
  '/apis/autoscaling/v1': [['horizontalpodautoscalers', 'HorizontalPodAutoscaler', true]],
  '/apis/autoscaling/v2': [['horizontalpodautoscalers', 'HorizontalPodAutoscaler', true]],
  '/apis/policy/v1': [['poddisruptionbudgets', 'PodDisruptionBudget', true]],
  '/apis/coordination.k8s.io/v1': [['leases', 'Lease', true]],
};

/** A running pod on node n1 owned by a ReplicaSet, so drain evicts it. */
function drainablePod(name: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: 'rs-uid', controller: true }],
    },
    spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'nginx' }] },
    status: { phase: 'Running' },
  };
}

const NODE = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', uid: 'node-uid' }, spec: {} };

const FIXTURE_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../../src/apiserver/protobuf/testdata');

async function saveFixture(name: string, version: string, body: Buffer, expected: unknown): Promise<void> {
  if (process.env.KUJIRA_WRITE_PROTOBUF_FIXTURES !== '1') return;
  const stem = join(FIXTURE_DIR, `${name}.kubectl-${version}`);
  await mkdir(FIXTURE_DIR, { recursive: true });
  await writeFile(`${stem}.pb`, body);
  await writeFile(`${stem}.json`, `${JSON.stringify(expected, null, 2)}\n`);
}

describe('kubectl sends protobuf bodies we decode exactly', { skip: KUBECTL ? false : 'kubectl is not on PATH' }, () => {
  let dir: string;
  let server: CaptureServer;
  let kubeconfig: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kujira-pb-'));
    const pki = await ensurePki(join(dir, 'pki'), ['127.0.0.1']);
    server = new CaptureServer({ key: pki.serving.key, cert: pki.serving.cert });
    await server.start();
    kubeconfig = join(dir, 'kubeconfig');
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    await writeFile(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster: { server: `https://127.0.0.1:${server.port}`, 'certificate-authority-data': b64(pki.ca.cert) } }],
        users: [{ name: 'u', user: { token: 'test-token' } }],
        contexts: [{ name: 'c', context: { cluster: 'c', user: 'u', namespace: 'default' } }],
        'current-context': 'c',
      }),
    );
  });

  after(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function kubectl(bin: string, args: string[]): Promise<string> {
    const { stdout } = await run(bin, args, {
      env: { PATH: process.env.PATH ?? '', HOME: dir, KUBECONFIG: kubeconfig },
      timeout: 60_000,
    });
    return stdout;
  }

  /** Runs `args`, returns the bodies it sent. */
  async function capture(bin: string, args: string[]): Promise<Captured[]> {
    const from = server.captured.length;
    await kubectl(bin, args);
    return server.captured.slice(from);
  }

  for (const { label, bin } of versions) {
    let version = '';
    for (const c of FIXTURE_CASES) {
      test(`kubectl ${label}: ${c.name}`, async (t) => {
        version ||= /^v\d+\.\d+/.exec((JSON.parse(await kubectl(bin, ['version', '--client', '-o', 'json'])) as { clientVersion: { gitVersion: string } }).clientVersion.gitVersion)?.[0] ?? label;
        for (const p of c.pods ?? []) server.put(`/api/v1/namespaces/default/pods/${p}`, drainablePod(p));
        if (c.pods) server.put('/api/v1/nodes/n1', NODE);
        const sent = await capture(bin, c.args);
        const writes = sent.filter((s) => s.method === c.method && c.path.test(s.path));
        assert.equal(writes.length, 1, `one ${c.method} ${c.path}; saw ${sent.map((s) => `${s.method} ${s.path} ${s.contentType}`).join(', ')}`);
        const w = writes[0]!;
        const expected = c.expected ?? (JSON.parse(await kubectl(bin, [...c.args, '--dry-run=client', '-o', 'json'])) as Record<string, unknown>);
        const protobuf = w.contentType === PROTOBUF_MEDIA_TYPE;
        t.diagnostic(`kubectl ${version}: ${c.method} ${w.path} as ${w.contentType}`);
        // The PATH kubectl (1.32) is the one kujira must serve: its typed writes are protobuf.
        if (label === 'PATH') assert.equal(protobuf, !c.json, `${c.name} sent as ${w.contentType}`);
        if (!protobuf) {
          // Older kubectl (1.27) sends JSON: the same object, which keeps the expectation honest.
          assert.deepEqual(dropNulls(JSON.parse(w.body.toString('utf8'))), dropNulls(expected));
          return;
        }
        assert.match(w.accept, /application\/json/);
        const decoded = decodeKubernetesProtobuf(w.body);
        assert.deepEqual(dropNulls(decoded.object), dropNulls(expected));
        assert.equal(decoded.apiVersion, expected.apiVersion);
        assert.equal(decoded.kind, expected.kind);
        await saveFixture(c.name, version, w.body, expected);
      });
    }

    test(`kubectl ${label}: debug --copy-to re-sends a rich pod`, async (t) => {
      const help = await kubectl(bin, ['debug', '--help']);
      if (!help.includes('--keep-labels')) return t.skip('this kubectl has no --keep-* flags for debug --copy-to');
      version ||= /^v\d+\.\d+/.exec((JSON.parse(await kubectl(bin, ['version', '--client', '-o', 'json'])) as { clientVersion: { gitVersion: string } }).clientVersion.gitVersion)?.[0] ?? label;
      server.put('/api/v1/namespaces/default/pods/rich', RICH_POD);
      const args = ['debug', 'rich', '--copy-to=rich-copy', '--set-image=app=nginx:debug', '--same-node', '--share-processes=false'];
      const sent = await capture(bin, [...args, '--keep-labels', '--keep-annotations', '--keep-liveness', '--keep-readiness', '--keep-startup']);
      // Both pods sit on n1: take them away so a later drain has only its own pod.
      server.remove('/api/v1/namespaces/default/pods/rich');
      server.remove('/api/v1/namespaces/default/pods/rich-copy');
      const w = sent.find((s) => s.method === 'POST' && s.path === '/api/v1/namespaces/default/pods');
      assert.ok(w, `a pod POST; saw ${sent.map((s) => `${s.method} ${s.path}`).join(', ')}`);
      // The copy keeps the whole spec (one image changed), a fresh metadata and an empty status.
      const expected = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'rich-copy', namespace: 'default', labels: RICH_POD.metadata.labels, annotations: RICH_POD.metadata.annotations },
        spec: { ...RICH_POD.spec, containers: RICH_POD.spec.containers.map((c) => (c.name === 'app' ? { ...c, image: 'nginx:debug' } : c)) },
        status: {},
      };
      t.diagnostic(`kubectl ${version}: POST ${w.path} as ${w.contentType}`);
      if (label === 'PATH') assert.equal(w.contentType, PROTOBUF_MEDIA_TYPE);
      if (w.contentType !== PROTOBUF_MEDIA_TYPE) {
        assert.deepEqual(dropNulls(JSON.parse(w.body.toString('utf8'))), expected);
        return;
      }
      assert.deepEqual(dropNulls(decodeKubernetesProtobuf(w.body).object), expected);
      await saveFixture('debug-copy-rich-pod', version, w.body, expected);
    });
  }
});
