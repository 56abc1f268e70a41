// The component thread's way to the API server: requests cross to the API server's thread over a
// MessagePort and come back as response streams, read exactly like the in-process direct path's
// (apiserver/http/portserver.ts is the other end). Messages are batched per event-loop turn: under
// load one message carries many watch events, which keeps the cost of crossing threads small.
import type { MessagePort } from 'node:worker_threads';
import { Readable } from 'node:stream';
import type { DirectResponse, DirectTransport } from './kubeconfig.js';

/** Component thread → API server thread. */
export type PortRequestMessage =
  | { t: 'req'; id: number; method: string; path: string; headers: Record<string, string>; body?: string }
  /** The request's signal fired (before or after the answer). */
  | { t: 'abort'; id: number }
  /** The reader is done with the body (a watch closed): the server may drop it. */
  | { t: 'close'; id: number }
  /** The reader consumed this many more bytes of the body: the server may send that much more. */
  | { t: 'ack'; id: number; bytes: number };

/** API server thread → component thread. */
export type PortResponseMessage =
  | { t: 'head'; id: number; status: number; headers: Record<string, string | string[] | number> }
  | { t: 'data'; id: number; chunk: string }
  | { t: 'end'; id: number }
  /** The request failed before an answer, or the body broke off (as a dropped connection). */
  | { t: 'error'; id: number; message: string; name?: string };

/** A batch of messages posted in one event-loop turn. */
export type PortBatch<M> = M[];

/** Collects messages and posts them together once per event-loop turn. */
export class PortOutbox<M> {
  private queued: M[] = [];
  private scheduled = false;

  constructor(private readonly port: MessagePort) {}

  push(message: M): void {
    this.queued.push(message);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  flush(): void {
    this.scheduled = false;
    if (this.queued.length === 0) return;
    const batch = this.queued;
    this.queued = [];
    try {
      this.port.postMessage(batch);
    } catch {
      // The port is closed (the other thread is gone): nobody is left to read the batch.
    }
  }
}

/** A response body arriving from the API server's thread, read as an HTTP response's body. */
class PortResponse extends Readable implements DirectResponse {
  statusCode = 0;
  headers: Record<string, string | string[] | number> = {};
  /** Bytes delivered to the reader and not yet acknowledged to the server. */
  unacked = 0;

  constructor(
    private readonly onRead: (res: PortResponse) => void,
    private readonly onDestroy: (res: PortResponse) => void,
  ) {
    super({ encoding: 'utf8' });
  }

  override _read(): void {
    this.onRead(this);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.onDestroy(this);
    cb(err);
  }
}

interface Pending {
  resolve(res: DirectResponse): void;
  reject(err: Error): void;
  res?: PortResponse;
  signal?: AbortSignal;
  onAbort?: () => void;
}

export class PortTransport implements DirectTransport {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly outbox: PortOutbox<PortRequestMessage>;
  private closed = false;

  constructor(private readonly port: MessagePort) {
    this.outbox = new PortOutbox(port);
    port.on('message', (batch: PortBatch<PortResponseMessage>) => {
      for (const m of batch) this.receive(m);
    });
    // An open port keeps a thread alive; the transport must not (watches end when the server goes).
    port.unref();
  }

  send(req: { method: string; path: string; headers: Record<string, string>; body?: string; signal?: AbortSignal }): Promise<DirectResponse> {
    if (this.closed) return Promise.reject(new Error('the API server is shutting down'));
    if (req.signal?.aborted) return Promise.reject(abortError());
    const id = this.nextId++;
    return new Promise<DirectResponse>((resolve, reject) => {
      const p: Pending = { resolve, reject, signal: req.signal };
      if (req.signal) {
        p.onAbort = () => {
          this.outbox.push({ t: 'abort', id });
          if (p.res) p.res.destroy(abortError());
          else {
            this.forget(id);
            reject(abortError());
          }
        };
        req.signal.addEventListener('abort', p.onAbort, { once: true });
      }
      this.pending.set(id, p);
      this.outbox.push({ t: 'req', id, method: req.method, path: req.path, headers: req.headers, body: req.body });
    });
  }

  /** Fails every open request and response, as when the connection to a server drops. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const [id, p] of [...this.pending]) this.fail(id, p, new Error('the API server is shutting down'));
    this.port.close();
  }

  private receive(m: PortResponseMessage): void {
    const p = this.pending.get(m.id);
    if (!p) return; // the reader already left; the server hears it from our 'close'
    switch (m.t) {
      case 'head': {
        const res = new PortResponse(
          (r) => this.acknowledge(m.id, r),
          () => {
            if (this.pending.get(m.id) === p) {
              this.forget(m.id);
              if (!res.readableEnded) this.outbox.push({ t: 'close', id: m.id });
            }
          },
        );
        res.statusCode = m.status;
        res.headers = m.headers;
        p.res = res;
        p.resolve(res);
        return;
      }
      case 'data':
        if (!p.res || p.res.destroyed) return;
        p.res.unacked += m.chunk.length;
        p.res.push(m.chunk, 'utf8');
        return;
      case 'end':
        this.forget(m.id);
        if (p.res && !p.res.destroyed) p.res.push(null);
        return;
      case 'error': {
        const err = new Error(m.message);
        if (m.name) err.name = m.name;
        this.fail(m.id, p, err);
        return;
      }
    }
  }

  /** The reader wants more: the bytes it was given are consumed, so the server may send more. */
  private acknowledge(id: number, res: PortResponse): void {
    if (res.unacked === 0 || !this.pending.has(id)) return;
    const bytes = res.unacked;
    res.unacked = 0;
    this.outbox.push({ t: 'ack', id, bytes });
  }

  private fail(id: number, p: Pending, err: Error): void {
    this.forget(id);
    if (p.res) {
      if (!p.res.destroyed) p.res.destroy(err);
    } else p.reject(err);
  }

  private forget(id: number): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (p.onAbort) p.signal?.removeEventListener('abort', p.onAbort);
  }
}

function abortError(): Error {
  const err = new Error('The operation was aborted');
  err.name = 'AbortError';
  return err;
}
