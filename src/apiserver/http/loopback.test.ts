import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ServerResponse } from 'node:http';
import { ApiError } from '../../api/errors.js';
import { KubeClient } from '../../client/client.js';
import { DirectLoopback, LoopbackServer } from './loopback.js';

async function waitFor(cond: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('loopback: requests over one kept-alive in-memory connection, bodies both ways, headers intact', async () => {
  const seen: string[] = [];
  const loopback = new LoopbackServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
      const body = JSON.stringify({ echo: Buffer.concat(chunks).toString('utf8'), big: 'x'.repeat(200_000) });
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) });
      res.end(body);
    });
  });
  let connections = 0;
  const client = new KubeClient({
    server: 'https://127.0.0.1:1',
    token: 't0k',
    connect: () => {
      connections++;
      return loopback.connect();
    },
  });
  try {
    for (let i = 0; i < 5; i++) {
      const out = await client.request<{ echo: string; big: string }>({ method: 'POST', path: '/x', query: { i }, body: { n: i } });
      assert.equal(out.echo, JSON.stringify({ n: i }));
      assert.equal(out.big.length, 200_000);
    }
    assert.equal(connections, 1);
    assert.deepEqual(seen, [0, 1, 2, 3, 4].map((i) => `POST /x?i=${i} Bearer t0k`));
  } finally {
    client.close();
    loopback.close();
  }
});

test('loopback: a streamed response reaches the client as written, and the server sees the client leave', async () => {
  let serverClosed = false;
  let write: ((s: string) => void) | undefined;
  const loopback = new LoopbackServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    write = (s) => res.write(s);
    res.on('close', () => (serverClosed = true));
  });
  const client = new KubeClient({ server: 'https://127.0.0.1:1', connect: () => loopback.connect() });
  try {
    const watch = client.watch<{ n: number }>('/w', {});
    const got: number[] = [];
    const done = firstThree(watch, got);
    await waitFor(() => write !== undefined);
    for (let n = 1; n <= 3; n++) write!(`{"type":"ADDED","object":{"n":${n}}}\n`);
    await done;
    assert.deepEqual(got, [1, 2, 3]);
    watch.close();
    await waitFor(() => serverClosed);
  } finally {
    client.close();
    loopback.close();
  }
});

test('direct: requests reach the handler with method, target, headers and body; answers come back whole', async () => {
  const seen: string[] = [];
  const direct = new DirectLoopback((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''} ${req.headers['content-type'] ?? ''}`);
      const body = JSON.stringify({ echo: Buffer.concat(chunks).toString('utf8'), big: 'é'.repeat(100_000) });
      res.writeHead(201, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) });
      res.end(body);
    });
  });
  const client = new KubeClient({ server: 'https://127.0.0.1:1', token: 't0k', direct });
  try {
    for (let i = 0; i < 3; i++) {
      const out = await client.request<{ echo: string; big: string }>({ method: 'POST', path: '/x', query: { i }, body: { n: i, s: 'ü' } });
      assert.equal(out.echo, JSON.stringify({ n: i, s: 'ü' }));
      assert.equal(out.big, 'é'.repeat(100_000));
    }
    assert.deepEqual(seen, [0, 1, 2].map((i) => `POST /x?i=${i} Bearer t0k application/json`));
  } finally {
    client.close();
    direct.close();
  }
});

test('direct: an error status becomes an ApiError; a handler that never answers before the server closes fails the request', async () => {
  let parked: ServerResponse | undefined;
  const direct = new DirectLoopback((req, res) => {
    if (req.url === '/park') {
      parked = res;
      return;
    }
    const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'pods "x" not found' });
    res.writeHead(404, { 'Content-Type': 'application/json' });
    res.end(body);
  });
  const client = new KubeClient({ server: 'https://127.0.0.1:1', direct });
  try {
    await assert.rejects(client.request({ method: 'GET', path: '/nf' }), (err: unknown) => err instanceof ApiError && err.code === 404 && err.reason === 'NotFound');
    const pending = client.request({ method: 'GET', path: '/park' });
    await waitFor(() => parked !== undefined);
    direct.close();
    await assert.rejects(pending);
    await assert.rejects(client.request({ method: 'GET', path: '/nf' }), /shutting down/);
  } finally {
    client.close();
    direct.close();
  }
});

test('direct: a streamed response arrives as written (corked writes together); the server sees the client leave, and a closing server ends the stream', async () => {
  const responses: ServerResponse[] = [];
  let closed = 0;
  const direct = new DirectLoopback((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    responses.push(res);
    res.on('close', () => closed++);
  });
  const client = new KubeClient({ server: 'https://127.0.0.1:1', direct });
  try {
    const watch = client.watch<{ n: number }>('/w', {});
    const got: number[] = [];
    const done = firstThree(watch, got);
    await waitFor(() => responses.length === 1);
    const res = responses[0]!;
    res.socket!.cork();
    res.write('{"type":"ADDED","object":{"n":1}}\n{"type":"ADD');
    res.write('ED","object":{"n":2}}\n');
    res.socket!.uncork();
    res.write('{"type":"ADDED","object":{"n":3}}\n');
    await done;
    assert.deepEqual(got, [1, 2, 3]);
    watch.close();
    await waitFor(() => closed === 1);

    // The server going away ends an open watch the way a dropped connection does.
    const second = client.watch<{ n: number }>('/w', {});
    const ended = (async () => {
      const seen: number[] = [];
      for await (const ev of second) seen.push(ev.object.n);
      return seen;
    })();
    await waitFor(() => responses.length === 2);
    responses[1]!.write('{"type":"ADDED","object":{"n":7}}\n');
    direct.close();
    assert.deepEqual(await ended, [7]);
  } finally {
    client.close();
    direct.close();
  }
});

test('direct: aborting a watch that is being read ends the reading at once, and the server sees it', async () => {
  let closed = false;
  const direct = new DirectLoopback((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.write('{"type":"ADDED","object":{"n":1}}\n');
    res.on('close', () => (closed = true));
  });
  const client = new KubeClient({ server: 'https://127.0.0.1:1', direct });
  const abort = new AbortController();
  try {
    const got: number[] = [];
    const reading = (async () => {
      for await (const ev of client.watch<{ n: number }>('/w', {}, abort.signal)) got.push(ev.object.n);
    })();
    await waitFor(() => got.length === 1);
    abort.abort();
    await reading;
    assert.deepEqual(got, [1]);
    await waitFor(() => closed);
  } finally {
    client.close();
    direct.close();
  }
});

test('loopback: per-request timeouts on a kept-alive connection do not pile up timeout listeners', async () => {
  const loopback = new LoopbackServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '2' });
    res.end('{}');
  });
  const sockets: ReturnType<LoopbackServer['connect']>[] = [];
  const client = new KubeClient({
    server: 'https://127.0.0.1:1',
    token: 't',
    connect: () => {
      const s = loopback.connect();
      sockets.push(s);
      return s;
    },
  });
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);
  process.on('warning', onWarning);
  try {
    // The client sets a timeout on every request (and clears it when the response is done).
    for (let i = 0; i < 30; i++) await client.request({ method: 'GET', path: '/x' });
    assert.equal(sockets.length, 1);
    assert.ok(sockets[0]!.listenerCount('timeout') <= 2, `timeout listeners: ${sockets[0]!.listenerCount('timeout')}`);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(warnings.filter((w) => w.name === 'MaxListenersExceededWarning'), []);
  } finally {
    process.off('warning', onWarning);
    client.close();
    loopback.close();
  }
});

/** Reads the watch until three events have arrived, pushing each event's `n` into `got`. */
async function firstThree(watch: AsyncIterable<{ object: { n: number } }>, got: number[]): Promise<void> {
  for await (const ev of watch) {
    got.push(ev.object.n);
    if (got.length === 3) break;
  }
}
