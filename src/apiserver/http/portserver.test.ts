import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ServerResponse } from 'node:http';
import { MessageChannel } from 'node:worker_threads';
import { ApiError } from '../../api/errors.js';
import { KubeClient } from '../../client/client.js';
import { PortTransport } from '../../client/porttransport.js';
import { PODS } from '../../client/resources.js';
import { DirectLoopback } from './loopback.js';
import { PortServer } from './portserver.js';

async function waitFor(cond: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

type Handler = ConstructorParameters<typeof DirectLoopback>[0];

/** A client whose requests cross a MessagePort to a handler, as the component thread's do. */
function across(handler: Handler): { client: KubeClient; server: PortServer; transport: PortTransport; close(): void } {
  const channel = new MessageChannel();
  const loopback = new DirectLoopback(handler);
  const server = new PortServer(channel.port1, loopback);
  const transport = new PortTransport(channel.port2);
  const client = new KubeClient({ server: 'https://127.0.0.1:1', token: 't0k', direct: transport });
  return {
    client,
    server,
    transport,
    close: () => {
      client.close();
      transport.close();
      server.close();
      loopback.close();
    },
  };
}

test('port transport: requests and bodies cross the port both ways, many at once, headers intact', async () => {
  const seen: string[] = [];
  const t = across((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
      const out = JSON.stringify({ echo: body, big: 'x'.repeat(100_000) });
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(out);
    });
  });
  try {
    const outs = await Promise.all(
      [0, 1, 2, 3, 4].map((i) => t.client.request<{ echo: string; big: string }>({ method: 'POST', path: '/x', query: { i }, body: { n: i } })),
    );
    outs.forEach((o, i) => {
      assert.equal(o.echo, JSON.stringify({ n: i }));
      assert.equal(o.big.length, 100_000);
    });
    assert.deepEqual(seen.sort(), [0, 1, 2, 3, 4].map((i) => `POST /x?i=${i} Bearer t0k`));
  } finally {
    t.close();
  }
});

test('port transport: an error answer becomes the ApiError the server sent', async () => {
  const t = across((_req, res) => {
    res.writeHead(409, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Conflict', code: 409, message: 'the object has been modified' }));
  });
  try {
    await assert.rejects(
      t.client.request({ method: 'PUT', path: '/y', body: {} }),
      (err: unknown) => err instanceof ApiError && err.code === 409 && err.reason === 'Conflict' && /modified/.test(err.message),
    );
  } finally {
    t.close();
  }
});

test('port transport: a watch streams events as written, and closing it ends the server side', async () => {
  let write: ((s: string) => void) | undefined;
  let serverClosed = false;
  const t = across((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
    write = (s) => res.write(s);
    res.on('close', () => (serverClosed = true));
  });
  try {
    const watch = t.client.resource(PODS).watch('default', {});
    const got: string[] = [];
    const reading = (async () => {
      for await (const ev of watch) {
        got.push(`${ev.type} ${(ev.object as { metadata: { name: string } }).metadata.name}`);
        if (got.length === 3) break;
      }
    })();
    await waitFor(() => write !== undefined);
    for (const [type, name] of [['ADDED', 'a'], ['MODIFIED', 'a'], ['DELETED', 'a']]) {
      write!(JSON.stringify({ type, object: { metadata: { name } } }) + '\n');
    }
    await reading;
    assert.deepEqual(got, ['ADDED a', 'MODIFIED a', 'DELETED a']);
    await waitFor(() => serverClosed);
  } finally {
    t.close();
  }
});

test('port transport: a reader that does not read holds the server back (window), then gets everything in order', async () => {
  let res!: ServerResponse;
  let held = false;
  const chunk = 'y'.repeat(64 * 1024) + '\n';
  const total = 200; // 12.8 MB, three times the window
  const t = across((_req, r) => {
    res = r;
    r.writeHead(200, { 'Content-Type': 'text/plain' });
    let i = 0;
    const pump = (): void => {
      while (i < total) {
        i++;
        if (!r.write(chunk)) {
          held = true;
          r.once('drain', pump);
          return;
        }
      }
      r.end();
    };
    pump();
  });
  try {
    const body = await t.transport.send({ method: 'GET', path: '/big', headers: {} });
    body.pause();
    await waitFor(() => held);
    let n = 0;
    body.setEncoding('utf8');
    body.on('data', (c: string) => (n += c.length));
    body.resume();
    await new Promise((r) => body.once('end', r));
    assert.equal(n, chunk.length * total);
    assert.ok(res.writableFinished);
  } finally {
    t.close();
  }
});

test('port transport: aborting before the answer rejects at once; closing the transport fails open requests', async () => {
  const answers: (() => void)[] = [];
  const t = across((_req, res) => {
    answers.push(() => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{}');
    });
  });
  try {
    const ac = new AbortController();
    const aborted = t.client.request({ method: 'GET', path: '/slow', signal: ac.signal });
    await waitFor(() => answers.length === 1);
    ac.abort();
    await assert.rejects(aborted, (err: Error) => err.name === 'AbortError');
    answers[0]!(); // the late answer goes nowhere
    const open = t.client.request({ method: 'GET', path: '/slow' });
    await waitFor(() => answers.length === 2);
    t.transport.close();
    await assert.rejects(open, /shutting down/);
    await assert.rejects(t.client.request({ method: 'GET', path: '/after' }), /shutting down/);
  } finally {
    t.close();
  }
});
