// The API server's end of the component thread's connection (client/porttransport.ts is the other
// end): each request from the port goes through the same in-process entrance as the direct path
// (DirectLoopback: authentication, routing, admission and validation unchanged), and its response
// goes back in chunks. A body stops being read while the other thread has more than WINDOW bytes
// it has not consumed, so a slow watcher there holds the server back as a slow socket would.
import type { MessagePort } from 'node:worker_threads';
import { PortOutbox, type PortBatch, type PortRequestMessage, type PortResponseMessage } from '../../client/porttransport.js';
import type { DirectLoopback, DirectResponseBody } from './loopback.js';

const WINDOW = 4 * 1024 * 1024;

interface Exchange {
  /** The other thread gave up on it (its signal fired, or it closed the body). */
  abandoned: boolean;
  body?: DirectResponseBody;
  /** Characters sent and not yet acknowledged. */
  inflight: number;
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
    for (const ex of this.open.values()) this.abandon(ex);
    this.open.clear();
    this.outbox.flush();
    this.port.close();
  }

  private receive(m: PortRequestMessage): void {
    switch (m.t) {
      case 'req':
        this.serve(m);
        return;
      case 'abort':
      case 'close': {
        const ex = this.open.get(m.id);
        this.open.delete(m.id);
        if (ex) this.abandon(ex);
        return;
      }
      case 'ack': {
        const ex = this.open.get(m.id);
        if (!ex) return;
        ex.inflight -= m.bytes;
        if (ex.inflight < WINDOW && ex.body?.isPaused()) ex.body.resume();
        return;
      }
    }
  }

  private abandon(ex: Exchange): void {
    ex.abandoned = true;
    ex.body?.destroy();
  }

  private serve(m: Extract<PortRequestMessage, { t: 'req' }>): void {
    const id = m.id;
    if (this.closed) {
      this.outbox.push({ t: 'error', id, message: 'the API server is shutting down' });
      return;
    }
    // No AbortSignal per request (they are costly at thousands a second): a request given up
    // before its answer is dropped when the answer comes (watches answer at once).
    const ex: Exchange = { abandoned: false, inflight: 0 };
    this.open.set(id, ex);
    this.loopback.send({ method: m.method, path: m.path, headers: m.headers, body: m.body }).then(
      (body) => {
        if (ex.abandoned || this.open.get(id) !== ex) {
          body.destroy();
          return;
        }
        ex.body = body;
        this.outbox.push({ t: 'head', id, status: body.statusCode, headers: body.headers });
        body.setEncoding('utf8');
        body.on('data', (chunk: string) => {
          ex.inflight += chunk.length;
          this.outbox.push({ t: 'data', id, chunk });
          if (ex.inflight >= WINDOW) body.pause();
        });
        body.once('end', () => {
          if (this.open.get(id) !== ex) return;
          this.open.delete(id);
          this.outbox.push({ t: 'end', id });
        });
        body.once('close', () => {
          if (this.open.get(id) !== ex) return;
          // Closed without its end: the answer broke off, as a dropped connection.
          this.open.delete(id);
          this.outbox.push({ t: 'error', id, message: 'the connection closed before the response was complete' });
        });
      },
      (err: unknown) => {
        if (this.open.get(id) !== ex) return;
        this.open.delete(id);
        const e = err as Error;
        this.outbox.push({ t: 'error', id, message: e.message, name: e.name });
      },
    );
  }
}
