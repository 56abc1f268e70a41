// The gRPC transport against an HTTP/2 server on a unix socket that answers the ways a gRPC server may:
// the status in trailers, trailers-only, percent-encoded messages, no answer at all, a restart.
// (The e2e tests run the same client against the real containerd.)
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { GrpcStatusError, GrpcUnixChannel, Status } from './grpc.js';

type Handler = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, body: Buffer) => void;

function frame(message: Buffer): Buffer {
  const out = Buffer.alloc(5 + message.length);
  out.writeUInt32BE(message.length, 1);
  message.copy(out, 5);
  return out;
}

/** The server's open sessions, tracked so a test can drop them as a dying server would. */
const sessions = new WeakMap<http2.Http2Server, Set<http2.ServerHttp2Session>>();
function sessionsOf(s: http2.Http2Server): Set<http2.ServerHttp2Session> {
  return sessions.get(s) ?? new Set();
}

/** An h2c server on a unix socket that hands each call's headers and request body to the handler for its :path. */
async function startServer(socketPath: string, handlers: Record<string, Handler>): Promise<http2.Http2Server> {
  const server = http2.createServer();
  const open = new Set<http2.ServerHttp2Session>();
  sessions.set(server, open);
  server.on('session', (session) => {
    open.add(session);
    session.on('close', () => open.delete(session));
  });
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => handlers[String(headers[':path'])]!(stream, headers, Buffer.concat(chunks)));
    stream.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return server;
}

function stopServer(server: http2.Http2Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

function answer(stream: http2.ServerHttp2Stream, message: Buffer, trailers: http2.OutgoingHttpHeaders = { 'grpc-status': '0' }): void {
  stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
  stream.on('wantTrailers', () => stream.sendTrailers(trailers));
  stream.end(frame(message));
}

let dir = '';
let socketPath = '';
let server: http2.Http2Server;
const seen: { headers: http2.IncomingHttpHeaders; body: Buffer }[] = [];

const handlers: Record<string, Handler> = {
  '/test.Svc/Echo': (stream, headers, body) => {
    seen.push({ headers, body });
    answer(stream, body.subarray(5));
  },
  '/test.Svc/NotFound': (stream) => {
    // Trailers-only: the status rides in the one and only header block.
    stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '5', 'grpc-message': 'no such container %22c1%22: %E2%9C%93 100%25' }, { endStream: true });
  },
  '/test.Svc/FailAfterHeaders': (stream) => {
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '2', 'grpc-message': 'failed to pull image' }));
    stream.end();
  },
  '/test.Svc/Silent': () => { /* never answers */ },
  '/test.Svc/NoStatus': (stream) => {
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
    stream.end(frame(Buffer.from('x')));
  },
  '/test.Svc/Http404': (stream) => {
    stream.respond({ ':status': 404 }, { endStream: true });
  },
};

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kujira-grpc-'));
  socketPath = join(dir, 'grpc.sock');
  server = await startServer(socketPath, handlers);
});

after(async () => {
  await stopServer(server);
  await rm(dir, { recursive: true, force: true });
});

async function failure(p: Promise<unknown>): Promise<GrpcStatusError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof GrpcStatusError, `a GrpcStatusError, got ${String(err)}`);
    return err;
  }
  assert.fail('the call succeeded');
}

test('a unary call sends a gRPC request and returns the response message', async () => {
  const channel = new GrpcUnixChannel(socketPath);
  try {
    const res = await channel.unary('/test.Svc/Echo', Buffer.from('hello'), 5000);
    assert.equal(res.toString(), 'hello');
    const empty = await channel.unary('/test.Svc/Echo', Buffer.alloc(0), 5000);
    assert.equal(empty.length, 0);
    const { headers, body } = seen[0]!;
    assert.equal(headers[':method'], 'POST');
    assert.equal(headers['content-type'], 'application/grpc');
    assert.equal(headers.te, 'trailers');
    assert.match(String(headers['grpc-timeout']), /^\d{1,8}m$/, 'the deadline in milliseconds');
    assert.ok(Number.parseInt(String(headers['grpc-timeout'])) > 4000);
    assert.equal(body.toString('hex'), '0000000005' + Buffer.from('hello').toString('hex'), 'uncompressed flag, big-endian length, message');
  } finally {
    channel.close();
  }
});

test('calls made together share the connection and each gets its own answer', async () => {
  const channel = new GrpcUnixChannel(socketPath);
  try {
    const words = Array.from({ length: 20 }, (_, i) => `m${i}`);
    const answers = await Promise.all(words.map((w) => channel.unary('/test.Svc/Echo', Buffer.from(w), 5000)));
    assert.deepEqual(answers.map((a) => a.toString()), words);
  } finally {
    channel.close();
  }
});

test('a non-OK status comes back with its code and the decoded message', async () => {
  const channel = new GrpcUnixChannel(socketPath);
  try {
    const table: [string, number, string][] = [
      ['/test.Svc/NotFound', Status.NOT_FOUND, 'no such container "c1": ✓ 100%'],
      ['/test.Svc/FailAfterHeaders', Status.UNKNOWN, 'failed to pull image'],
      ['/test.Svc/NoStatus', Status.INTERNAL, 'stream ended without a grpc-status'],
      ['/test.Svc/Http404', Status.UNKNOWN, 'unexpected HTTP status 404'],
    ];
    for (const [path, code, details] of table) {
      const err = await failure(channel.unary(path, Buffer.alloc(0), 5000));
      assert.equal(err.code, code, path);
      assert.equal(err.details, details, path);
    }
  } finally {
    channel.close();
  }
});

test('a call past its deadline fails with DEADLINE_EXCEEDED and the channel stays usable', async () => {
  const channel = new GrpcUnixChannel(socketPath);
  try {
    const started = Date.now();
    const err = await failure(channel.unary('/test.Svc/Silent', Buffer.alloc(0), 200));
    assert.equal(err.code, Status.DEADLINE_EXCEEDED);
    assert.ok(Date.now() - started >= 190, 'not before the deadline');
    assert.equal((await channel.unary('/test.Svc/Echo', Buffer.from('still here'), 5000)).toString(), 'still here');
  } finally {
    channel.close();
  }
});

test('no server at the socket is UNAVAILABLE with the reason; a restarted server is reached again', async () => {
  const path = join(dir, 'restart.sock');
  const channel = new GrpcUnixChannel(path);
  try {
    const err = await failure(channel.unary('/test.Svc/Echo', Buffer.from('a'), 5000));
    assert.equal(err.code, Status.UNAVAILABLE);
    assert.match(err.details, /ENOENT/);

    let second = await startServer(path, handlers);
    assert.equal((await channel.unary('/test.Svc/Echo', Buffer.from('one'), 5000)).toString(), 'one');
    // A restart, as when containerd restarts: the old connection goes away, the next call reconnects.
    const closing = stopServer(second);
    for (const session of sessionsOf(second)) session.destroy();
    await closing;
    second = await startServer(path, handlers);
    try {
      assert.equal((await channel.unary('/test.Svc/Echo', Buffer.from('two'), 5000)).toString(), 'two');
    } finally {
      channel.close();
      await stopServer(second);
    }
  } finally {
    channel.close();
  }
});

test('a closed channel refuses calls', async () => {
  const channel = new GrpcUnixChannel(socketPath);
  channel.close();
  const err = await failure(channel.unary('/test.Svc/Echo', Buffer.from('a'), 5000));
  assert.equal(err.code, Status.UNAVAILABLE);
});
