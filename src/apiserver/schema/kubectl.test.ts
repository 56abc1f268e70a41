// The real kubectl reads our OpenAPI documents: `kubectl explain` finds types and descriptions,
// and `kubectl apply` leaves unknown-field checks to the server (it sends fieldValidation=Strict
// only when our documents declare the parameter). A throwaway HTTP server answers just the
// discovery and OpenAPI requests those commands make, and records what kubectl sends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtinResources } from '../registry/index.js';
import { createSchemaCatalog, strictDecodingMessage } from './index.js';

const resources = builtinResources();
const catalog = createSchemaCatalog(resources);

function kubectlAvailable(): boolean {
  return (process.env.PATH ?? '').split(':').some((d) => {
    try {
      return statSync(join(d, 'kubectl')).isFile();
    } catch {
      return false;
    }
  });
}

function discovery(path: string): unknown {
  if (path === '/version') return { major: '1', minor: '32', gitVersion: 'v1.32.0', platform: 'linux/amd64' };
  if (path === '/api') return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] };
  if (path === '/apis') {
    const groups = new Map<string, string[]>();
    for (const r of resources) if (r.group) groups.set(r.group, [...new Set([...(groups.get(r.group) ?? []), r.version])]);
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [...groups].map(([name, versions]) => ({
        name,
        versions: versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v })),
        preferredVersion: { groupVersion: `${name}/${versions.at(-1)}`, version: versions.at(-1) },
      })),
    };
  }
  const m = /^\/(?:api|apis\/([^/]+))\/([^/]+)$/.exec(path);
  if (m) {
    const [, group = '', version] = m;
    return {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: group ? `${group}/${version}` : version,
      resources: resources
        .filter((r) => r.group === group && r.version === version)
        .map((r) => ({ name: r.resource, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: r.verbs, shortNames: r.shortNames })),
    };
  }
  return undefined;
}

interface Recorded {
  method: string;
  url: string;
}

async function withServer(fn: (kubeconfig: string, requests: Recorded[]) => Promise<void>): Promise<void> {
  const requests: Recorded[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push({ method: req.method ?? '', url: req.url ?? '' });
    const send = (code: number, body: unknown): void => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    req.resume();
    req.on('end', () => {
      if (url.pathname === '/openapi/v3') return send(200, catalog.openapiV3Root());
      if (url.pathname.startsWith('/openapi/v3/')) {
        const doc = catalog.openapiV3(url.pathname.slice('/openapi/v3/'.length));
        return doc ? send(200, doc) : send(404, {});
      }
      const d = discovery(url.pathname);
      if (d) return send(200, d);
      if (req.method === 'GET' && url.pathname.startsWith('/api/v1/namespaces/default/pods/')) {
        return send(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'pods "kuard" not found' });
      }
      if (req.method === 'POST') {
        return send(400, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'BadRequest', code: 400, message: strictDecodingMessage(['spec.containres']) });
      }
      send(404, {});
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const dir = mkdtempSync(join(tmpdir(), 'kujira-explain-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    `apiVersion: v1
kind: Config
clusters: [{name: t, cluster: {server: "http://127.0.0.1:${port}"}}]
users: [{name: t, user: {}}]
contexts: [{name: t, context: {cluster: t, user: t, namespace: default}}]
current-context: t
`,
  );
  try {
    await fn(kubeconfig, requests);
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function kubectl(kubeconfig: string, args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', join(kubeconfig, '..', 'cache'), ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    if (stdin !== undefined) child.stdin?.end(stdin);
  });
}

test('kubectl explain pod.spec.containers reads our OpenAPI v3', { skip: !kubectlAvailable() && 'kubectl not on PATH' }, async () => {
  await withServer(async (kubeconfig) => {
    const r = await kubectl(kubeconfig, ['explain', 'pod.spec.containers']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /KIND:\s+Pod/);
    assert.match(r.stdout, /VERSION:\s+v1/);
    assert.match(r.stdout, /FIELD: containers <\[\]Container>/);
    assert.match(r.stdout, /List of containers belonging to the pod/);
    assert.match(r.stdout, /livenessProbe\s+<Probe>/);
    assert.match(r.stdout, /name\s+<string> -required-/);
    const probe = await kubectl(kubeconfig, ['explain', 'deployment.spec.strategy.rollingUpdate.maxSurge']);
    assert.equal(probe.code, 0, probe.stderr);
    assert.match(probe.stdout, /FIELD: maxSurge <IntOrString>/);
    const limits = await kubectl(kubeconfig, ['explain', 'pod.spec.containers.resources.limits']);
    assert.equal(limits.code, 0, limits.stderr);
    assert.match(limits.stdout, /FIELD: limits <map\[string\]Quantity>/);
    const hpa = await kubectl(kubeconfig, ['explain', 'hpa.spec', '--api-version=autoscaling/v2']);
    assert.equal(hpa.code, 0, hpa.stderr);
    assert.match(hpa.stdout, /metrics\s+<\[\]MetricSpec>/);
  });
});

test('kubectl apply trusts server-side field validation', { skip: !kubectlAvailable() && 'kubectl not on PATH' }, async () => {
  await withServer(async (kubeconfig, requests) => {
    const manifest = `apiVersion: v1
kind: Pod
metadata:
  name: kuard
spec:
  containres:
    - image: gcr.io/kuar-demo/kuard-amd64:1
      name: kuard
`;
    const r = await kubectl(kubeconfig, ['apply', '-f', '-'], manifest);
    const post = requests.find((q) => q.method === 'POST');
    assert.ok(post, `kubectl sent no POST: ${r.stderr}`);
    assert.match(post.url, /fieldValidation=Strict/);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /unknown field "spec.containres"/);
  });
});
