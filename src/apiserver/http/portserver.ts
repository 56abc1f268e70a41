// The API server's end of the component thread's connection (client/porttransport.ts is the other
// end): each request from the port goes through the same in-process entrance as the direct path
// (DirectLoopback: authentication, routing, admission and validation unchanged), and its response
// goes back in chunks, straight from the handler's writes (no stream in between). A response stops
// being written while the other thread holds more than WINDOW characters it has not consumed, so a
// slow watcher there holds the server back as a slow socket would.
import type { MessagePort } from 'node:worker_threads';
import { PortOutbox, type PortBatch, type PortRequestMessage, type PortResponseMessage } from '../../client/porttransport.js';
import type { DirectLoopback, LocalResponse, ResponseSink } from './loopback.js';

const WINDOW = 4 * 1024 * 1024;

/** One request in flight: the sink its response is written to. */
class Exchange implements ResponseSink {
  res: LocalResponse | undefined;
  /** Characters sent and not yet acknowledged. */
  inflight = 0;
  /** Over (ended, dropped or given up): nothing more is sent for it. */
  done = false;
  answered = false;

  constructor(
    private readonly id: number,
    private readonly server: PortServer,
  ) {}

  head(status: number, headers: Record<string, string | string[] | number>): void {
    if (this.done) return;
    this.answered = true;
    this.server.send({ t: 'head', id: this.id, status, headers });
  }

  data(chunk: string): boolean {
    if (this.done) return true;
    this.inflight += chunk.length;
    this.server.send({ t: 'data', id: this.id, chunk });
    return this.inflight < WINDOW;
  }

  end(): void {
    if (this.done) return;
    this.finish();
    this.server.send({ t: 'end', id: this.id });
  }

  abort(): void {
    if (this.done) return;
    this.finish();
    // Cut short after its head: the reader sees the body break off, as a dropped connection.
    this.server.send({ t: 'error', id: this.id, message: 'the connection closed before the response was complete' });
  }

  /** The response closed: one never answered fails its request. */
  closed(): void {
    if (this.done) return;
    this.finish();
    this.server.send({ t: 'error', id: this.id, message: this.answered ? 'the connection closed before the response was complete' : 'the API server closed the request without answering' });
  }

  acknowledge(chars: number): void {
    this.inflight -= chars;
    if (this.inflight < WINDOW) this.res?.release();
  }

  /** The other thread gave up on it (its signal fired, or it closed the body). */
  abandon(): void {
    this.finish();
    if (this.res && !this.res.destroyed) this.res.destroy();
  }

  private finish(): void {
    this.done = true;
    this.server.forget(this.id, this);
  }
}

export class PortServer {
  private readonly open = new Map<number, Exchange>();
  private readonly outbox: PortOutbox<PortResponseMessage>;
  private closed = false;

  constructor(
    private readonly port: MessagePort,
    private readonly loopback: DirectLoopback,
  ) {
    this.outbox = new PortOutbox(port);
    port.on('message', (batch: PortBatch<PortRequestMessage>) => {
      for (const m of batch) this.receive(m);
    });
  }

  /** Ends every open exchange (the other thread is gone or the server is stopping). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const ex of [...this.open.values()]) ex.abandon();
    this.open.clear();
    this.outbox.flush();
    this.port.close();
  }

  send(m: PortResponseMessage): void {
    this.outbox.push(m);
  }

  forget(id: number, ex: Exchange): void {
    if (this.open.get(id) === ex) this.open.delete(id);
  }

  private receive(m: PortRequestMessage): void {
    switch (m.t) {
      case 'req': {
        if (this.closed) {
          this.send({ t: 'error', id: m.id, message: 'the API server is shutting down' });
          return;
        }
        const ex = new Exchange(m.id, this);
        this.open.set(m.id, ex);
        ex.res = this.loopback.dispatch({ method: m.method, path: m.path, headers: m.headers, body: m.body }, ex, () => ex.closed());
        return;
      }
      case 'abort':
      case 'close':
        this.open.get(m.id)?.abandon();
        return;
      case 'ack':
        this.open.get(m.id)?.acknowledge(m.bytes);
        return;
    }
  }
}
