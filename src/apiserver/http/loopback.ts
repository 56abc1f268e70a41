// The loopback connection: how components inside the `kujira up` process reach the API server
// without TLS or the kernel. Each connection is a pair of in-memory streams; one end goes to a
// plain HTTP server (never listening on any port) that runs the same request handler, so every
// request is still authenticated (bearer token), routed and answered exactly as over HTTPS. Only
// the encryption and the socket syscalls are gone — for in-process components they were a large
// share of the process's CPU (kube-apiserver likewise gives its own loopback client a special path).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Duplex } from 'node:stream';

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
