import assert from 'node:assert/strict';
import test from 'node:test';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { core } from '../../api/types.js';
import { realClock } from '../../client/clock.js';
import type { PodRuntime } from '../../runtime/runtime.js';
import { ProbeManager, requestHead, responseStatus, runProbe, type ProbeHost, type ProbeOutcome } from './probes.js';

test('a container whose probe workers are not set up yet is neither started nor ready', () => {
  const host: ProbeHost = {
    clock: realClock,
    runtime: undefined as unknown as ProbeHost['runtime'], // never reached: view() reads state only
    changed: () => {},
    failed: () => {},
  };
  assert.deepEqual(new ProbeManager(host).view('not-yet-ensured'), { started: false, ready: false, livenessFailed: false, startupFailed: false });
});

test('an httpGet probe sends what the kubelet sends', () => {
  assert.equal(requestHead('/ready', '10.0.0.5:8080', []),
    'GET /ready HTTP/1.1\r\nHost: 10.0.0.5:8080\r\nUser-Agent: kube-probe/1.32\r\nAccept: */*\r\nConnection: close\r\n\r\n');
  // The probe's own headers replace the defaults of the same name (any case); Connection stays close.
  assert.equal(requestHead('/', 'h:1', [{ name: 'host', value: 'example.test' }, { name: 'User-Agent', value: 'mine' }, { name: 'X-Probe', value: '1' }, { name: 'Connection', value: 'keep-alive' }]),
    'GET / HTTP/1.1\r\nAccept: */*\r\nhost: example.test\r\nUser-Agent: mine\r\nX-Probe: 1\r\nConnection: close\r\n\r\n');
});

test('the status line decides an httpGet probe', () => {
  assert.equal(responseStatus('HTTP/1.1 200 OK\r\n'), 200);
  assert.equal(responseStatus('HTTP/1.0 302\r\nLocation: /x'), 302);
  assert.equal(responseStatus('HTTP/1.1 20'), undefined);
  assert.ok(Number.isNaN(responseStatus('SSH-2.0-OpenSSH\r\n')!));
});

test('httpGet probes against a real server: success, failure status, refused, timeout', async () => {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url} ${req.headers['user-agent']} ${req.headers.host} ${req.headers['x-probe'] ?? ''}`);
    if (req.url === '/slow') return; // never answers
    res.writeHead(req.url === '/fail' ? 500 : 200).end('x'.repeat(req.url === '/big' ? 50_000 : 10));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as AddressInfo).port;
  const container: core.Container = { name: 'web', image: 'demo', ports: [{ name: 'http', containerPort: port }] };
  const probe = (path: string, portRef: number | string = port, timeoutSeconds = 1): Promise<ProbeOutcome> =>
    runProbe({ httpGet: { path, port: portRef, httpHeaders: [{ name: 'X-Probe', value: 'yes' }] }, timeoutSeconds }, { podIP: '127.0.0.1', container, containerId: 'c1' }, undefined as unknown as PodRuntime);
  try {
    assert.deepEqual(await probe('/ready'), { ok: true, message: '' });
    assert.deepEqual(await probe('/big', 'http'), { ok: true, message: '' });
    assert.deepEqual(await probe('/fail'), { ok: false, message: 'HTTP probe failed with statuscode: 500' });
    assert.deepEqual(await probe('/slow'), { ok: false, message: `Get "http://127.0.0.1:${port}/slow": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` });
    assert.equal(seen[0], `GET /ready kube-probe/1.32 127.0.0.1:${port} yes`);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((done) => server.close(() => done()));
  }
  assert.deepEqual(await probe('/ready'), { ok: false, message: `Get "http://127.0.0.1:${port}/ready": dial tcp 127.0.0.1:${port}: connect: connection refused` });
});
