// The loopback connection: how components inside the `kujira up` process reach the API server
// without TLS or the kernel. Each connection is a pair of in-memory streams; one end goes to a
// plain HTTP server (never listening on any port) that runs the same request handler, so every
// request is still authenticated (bearer token), routed and answered exactly as over HTTPS. Only
// the encryption and the socket syscalls are gone — for in-process components they were a large
// share of the process's CPU (kube-apiserver likewise gives its own loopback client a special path).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Duplex, Readable, Writable } from 'node:stream';

type WriteCallback = (err?: Error | null) => void;

/** One end of an in-memory connection; quacks enough like a net.Socket for node:http on both sides. */
export class LoopbackSocket extends Duplex {
  peer!: LoopbackSocket;
  /** A write held back until the peer's reader wants more (back-pressure, as a socket gives). */
  private heldWrite: WriteCallback | undefined;
  /** This end has sent its end-of-stream to the peer. */
  private eofSent = false;
  private idleMs = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  readonly remoteAddress = '127.0.0.1';
  readonly remotePort = 0;
  readonly localAddress = '127.0.0.1';
  readonly localPort = 0;
  readonly remoteFamily = 'IPv4';
  connecting = false;

  constructor() {
    // As a TCP socket: when the other end finishes, this end finishes too.
    super({ allowHalfOpen: false });
  }

  static pair(): [LoopbackSocket, LoopbackSocket] {
    const a = new LoopbackSocket();
    const b = new LoopbackSocket();
    a.peer = b;
    b.peer = a;
    return [a, b];
  }

  override _read(): void {
    const held = this.peer.heldWrite;
    if (held) {
      this.peer.heldWrite = undefined;
      held();
    }
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, cb: WriteCallback): void {
    this.touch();
    this.peer.touch();
    if (this.peer.destroyed || this.eofSent) return cb();
    if (this.peer.push(chunk)) cb();
    else this.heldWrite = cb;
  }

  override _final(cb: WriteCallback): void {
    this.sendEof();
    cb();
  }

  override _destroy(err: Error | null, cb: WriteCallback): void {
    this.clearIdle();
    // Writes either way are settled: ours were handed over, the peer's will never be read.
    const ours = this.heldWrite;
    this.heldWrite = undefined;
    ours?.();
    const theirs = this.peer.heldWrite;
    this.peer.heldWrite = undefined;
    theirs?.();
    // The other end reads what it was sent, then sees the connection end (as after a FIN).
    this.sendEof();
    cb(err);
  }

  private sendEof(): void {
    if (this.eofSent) return;
    this.eofSent = true;
    if (!this.peer.destroyed) this.peer.push(null);
  }

  /** As net.Socket: emit 'timeout' after `ms` without activity (0 turns it off). */
  setTimeout(ms: number, cb?: () => void): this {
    this.idleMs = ms;
    // As net.Socket: a callback given with 0 is taken off again (Node's HTTP client turns its
    // per-request timeout off that way, once per request on a kept-alive socket).
    if (cb && ms > 0) this.once('timeout', cb);
    else if (cb) this.removeListener('timeout', cb);
    this.clearIdle();
    if (ms > 0 && !this.destroyed) {
      this.idleTimer = setTimeout(() => this.emit('timeout'), ms);
      this.idleTimer.unref();
    }
    return this;
  }

  private touch(): void {
    if (this.idleTimer && this.idleMs > 0) this.idleTimer.refresh();
  }

  private clearIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  setNoDelay(): this {
    return this;
  }

  setKeepAlive(): this {
    return this;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  destroySoon(): void {
    if (this.writableFinished) this.destroy();
    else this.end(() => this.destroy());
  }
}

/** The in-process entrance to an API server's request handler. */
export class LoopbackServer {
  private readonly server: Server;
  private readonly open = new Set<LoopbackSocket>();
  private closed = false;

  constructor(handler: (req: IncomingMessage, res: ServerResponse) => void) {
    // Same limits as the HTTPS listener: long keep-alive, no request timeout (watches).
    this.server = createServer({ keepAlive: true, requestTimeout: 0, headersTimeout: 60_000 }, handler);
    this.server.keepAliveTimeout = 65_000;
  }

  /** A new connection; the client end is returned (for an http.Agent's createConnection). */
  connect(): LoopbackSocket {
    const [client, server] = LoopbackSocket.pair();
    if (this.closed) {
      process.nextTick(() => client.destroy(new Error('the API server is shutting down')));
      return client;
    }
    this.open.add(server);
    server.once('close', () => this.open.delete(server));
    this.server.emit('connection', server);
    return client;
  }

  /** Drops every connection (after the components using them have stopped). */
  close(): void {
    this.closed = true;
    for (const s of this.open) s.destroy();
    this.open.clear();
  }
}

// ---- the direct path: no HTTP bytes at all ----------------------------------------------

/** What an in-process client hands the API server: an HTTP request without its wire form. */
export interface DirectRequest {
  method: string;
  /** Path and query, as an HTTP request target. */
  path: string;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

/**
 * Where a direct response goes: its head once, then body text, then its end or its abort. The
 * in-process client reads it as a stream (DirectResponseBody); the component thread's port
 * forwards it (portserver.ts) without a stream in between.
 */
export interface ResponseSink {
  head(statusCode: number, headers: Record<string, string | string[] | number>): void;
  /** false: the reader is full; the server's next write waits for `LocalResponse.release()`. */
  data(text: string): boolean;
  /** The server finished the response. */
  end(): void;
  /** The server dropped the response unfinished (shutdown, a failed stream, the client left). */
  abort(): void;
}

/** The response as the client reads it: status and headers, then the body as UTF-8 text. */
export class DirectResponseBody extends Readable implements ResponseSink {
  statusCode = 0;
  headers: Record<string, string | string[] | number> = {};
  private eof = false;
  /** The server's side of this response (set as soon as the request is dispatched). */
  server: LocalResponse | undefined;

  constructor(private readonly announce: (body: DirectResponseBody) => void) {
    super({ encoding: 'utf8' });
  }

  head(statusCode: number, headers: Record<string, string | string[] | number>): void {
    this.statusCode = statusCode;
    this.headers = headers;
    this.announce(this);
  }

  data(text: string): boolean {
    if (this.destroyed) return true;
    return this.push(text, 'utf8');
  }

  /** The server is done: the client reads what is buffered, then sees the end. */
  end(): this {
    if (this.eof || this.destroyed) return this;
    this.eof = true;
    this.push(null);
    return this;
  }

  abort(): void {
    this.end();
  }

  override _read(): void {
    this.server?.release();
  }

  override _destroy(err: Error | null, cb: WriteCallback): void {
    // The client left: the server sees its response closed, as when a connection drops.
    this.server?.release();
    if (this.server && !this.server.destroyed) this.server.destroy();
    cb(err);
  }
}

/** A request target's sockets, for code that looks at them (authentication finds no certificate). */
const localSocket = Object.freeze({ remoteAddress: '127.0.0.1', remotePort: 0, remoteFamily: 'IPv4', localAddress: '127.0.0.1', localPort: 0, encrypted: false, authorized: false });

/** A request whose whole body is already in memory: `readBody` takes it without streaming it. */
export interface CompleteBodyRequest {
  readonly completeBody: Buffer;
}

const NO_BODY = Buffer.alloc(0);

/** The request as the handler sees it: an IncomingMessage's fields over an already-complete body. */
class LocalRequest extends Readable implements CompleteBodyRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly rawHeaders: string[];
  readonly httpVersion = '1.1';
  readonly httpVersionMajor = 1;
  readonly httpVersionMinor = 1;
  readonly socket = localSocket;
  readonly connection = localSocket;
  readonly completeBody: Buffer;
  complete = true;
  private streamed = false;

  constructor(req: DirectRequest) {
    super();
    this.method = req.method;
    this.url = req.path;
    const headers: Record<string, string> = {};
    const raw: string[] = [];
    for (const name in req.headers) {
      headers[name.toLowerCase()] = req.headers[name]!;
      raw.push(name, req.headers[name]!);
    }
    this.headers = headers;
    this.rawHeaders = raw;
    this.completeBody = req.body ? Buffer.from(req.body, 'utf8') : NO_BODY;
  }

  // Only code that reads the request as a stream pays for the stream.
  override _read(): void {
    if (this.streamed) return;
    this.streamed = true;
    if (this.completeBody.length > 0) this.push(this.completeBody);
    this.push(null);
  }
}

/** The response as the handler writes it: a ServerResponse's fields; what is written goes to the sink. */
export class LocalResponse extends Writable {
  statusCode = 200;
  statusMessage = '';
  headersSent = false;
  sendDate = false;
  private readonly head: Record<string, string | string[] | number> = {};
  /** A write held back until the sink has room again (back-pressure). */
  private heldWrite: WriteCallback | undefined;
  /** Cork/uncork as on a socket: batched writes reach the client as one chunk. */
  readonly socket = { cork: () => this.cork(), uncork: () => this.uncork() };

  constructor(private readonly sink: ResponseSink) {
    super({ decodeStrings: false });
  }

  /** The sink has room again: the held write (if any) completes. */
  release(): void {
    const held = this.heldWrite;
    this.heldWrite = undefined;
    held?.();
  }

  setHeader(name: string, value: string | string[] | number): this {
    this.head[name.toLowerCase()] = value;
    return this;
  }

  getHeader(name: string): string | string[] | number | undefined {
    return this.head[name.toLowerCase()];
  }

  removeHeader(name: string): void {
    delete this.head[name.toLowerCase()];
  }

  hasHeader(name: string): boolean {
    return name.toLowerCase() in this.head;
  }

  writeHead(code: number, headers?: Record<string, string | string[] | number> | string, more?: Record<string, string | string[] | number>): this {
    this.statusCode = code;
    const h = typeof headers === 'string' ? more : headers;
    if (h) for (const k in h) this.head[k.toLowerCase()] = h[k]!;
    this.sendHead();
    return this;
  }

  flushHeaders(): void {
    this.sendHead();
  }

  private sendHead(): void {
    if (this.headersSent) return;
    this.headersSent = true;
    this.sink.head(this.statusCode, this.head);
  }

  override _write(chunk: string | Buffer, _encoding: BufferEncoding, cb: WriteCallback): void {
    this.sendHead();
    this.deliver(typeof chunk === 'string' ? chunk : chunk.toString('utf8'), cb);
  }

  override _writev(chunks: { chunk: string | Buffer }[], cb: WriteCallback): void {
    this.sendHead();
    let text = '';
    for (const c of chunks) text += typeof c.chunk === 'string' ? c.chunk : c.chunk.toString('utf8');
    this.deliver(text, cb);
  }

  private deliver(text: string, cb: WriteCallback): void {
    if (this.sink.data(text)) cb();
    else this.heldWrite = cb;
  }

  override _final(cb: WriteCallback): void {
    this.sendHead();
    this.sink.end();
    cb();
  }

  override _destroy(err: Error | null, cb: WriteCallback): void {
    // Ended before finishing: a client already answered reads what was sent, then sees the end,
    // as after a dropped connection; one not yet answered hears that the request failed.
    this.release();
    if (this.headersSent) this.sink.abort();
    cb(err);
  }
}

/**
 * The in-process entrance without HTTP: a request becomes an IncomingMessage-like object and the
 * response a ServerResponse-like one, handed to the same handler as HTTPS (routing, authentication,
 * admission, validation — all unchanged); only header formatting, parsing and sockets are gone.
 */
export class DirectLoopback {
  private readonly open = new Set<LocalResponse>();
  private closed = false;

  constructor(private readonly handler: (req: IncomingMessage, res: ServerResponse) => void) {}

  /** Runs one request; resolves once the response's status and headers are written. */
  send(req: DirectRequest): Promise<DirectResponseBody> {
    if (this.closed) return Promise.reject(new Error('the API server is shutting down'));
    if (req.signal?.aborted) return Promise.reject(abortError());
    return new Promise((resolve, reject) => {
      let answered = false;
      const body = new DirectResponseBody((b) => {
        answered = true;
        resolve(b);
      });
      // As an aborted HTTP request: before the answer the request fails; after it, reading the body does.
      const onAbort = (): void => {
        if (answered) body.destroy(abortError());
        else {
          res.destroy();
          reject(abortError());
        }
      };
      req.signal?.addEventListener('abort', onAbort, { once: true });
      const res = this.dispatch(req, body, () => {
        req.signal?.removeEventListener('abort', onAbort);
        if (!answered) reject(new Error('the API server closed the request without answering'));
      });
      body.server = res;
    });
  }

  /**
   * Runs one request whose response goes to `sink`; `closed` is called when the response is
   * over (finished or dropped). Destroying the returned response drops it (the client left).
   */
  dispatch(req: DirectRequest, sink: ResponseSink, closed?: () => void): LocalResponse {
    const res = new LocalResponse(sink);
    if (this.closed) {
      process.nextTick(() => res.destroy());
    } else this.open.add(res);
    res.once('close', () => {
      this.open.delete(res);
      closed?.();
    });
    if (!this.closed) this.handler(new LocalRequest(req) as unknown as IncomingMessage, res as unknown as ServerResponse);
    return res;
  }

  /** Ends every open response (watches) and refuses new requests. */
  close(): void {
    this.closed = true;
    for (const res of this.open) res.destroy();
    this.open.clear();
  }
}

function abortError(): Error {
  const err = new Error('The operation was aborted');
  err.name = 'AbortError';
  return err;
}
