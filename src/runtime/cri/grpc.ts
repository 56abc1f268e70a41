// Unary gRPC calls over HTTP/2 cleartext on a unix socket: what CRI needs, without a gRPC library.
//
// A call is one HTTP/2 stream: POST :path /<package>.<Service>/<Method>, content-type application/grpc,
// te: trailers, grpc-timeout; the body is one message framed as [compressed flag (0)][u32 big-endian length][bytes].
// The answer is headers, the response message framed the same way, then trailers carrying grpc-status and a
// percent-encoded grpc-message. An error can also come "trailers-only": grpc-status in the first and only
// header block. One HTTP/2 session per socket carries every call; a closed one is replaced on the next call.
import http2 from 'node:http2';
import net from 'node:net';

/** The gRPC status codes, by name (https://grpc.github.io/grpc/core/md_doc_statuscodes.html). */
export const Status = {
  OK: 0, CANCELLED: 1, UNKNOWN: 2, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8, FAILED_PRECONDITION: 9, ABORTED: 10, OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14, DATA_LOSS: 15, UNAUTHENTICATED: 16,
} as const;

/** A call that ended with a non-OK status: the code and the server's (or the transport's) message. */
export class GrpcStatusError extends Error {
  constructor(readonly code: number, readonly details: string, options?: { cause?: unknown }) {
    super(`${code} ${details}`, options);
    this.name = 'GrpcStatusError';
  }
}

const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
// grpc-timeout allows at most 8 digits.
const MAX_TIMEOUT_MS = 99_999_999;

function percentDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The one header value of a name (HTTP/2 headers may be arrays in Node's typing). */
function header(h: http2.IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/** What a finished stream amounts to: its status, or the one response message it carried. */
function outcome(statusHeaders: http2.IncomingHttpHeaders, body: Buffer): [GrpcStatusError | null, Buffer?] {
  const code = Number(header(statusHeaders, 'grpc-status'));
  if (!Number.isInteger(code)) return [new GrpcStatusError(Status.UNKNOWN, 'grpc-status missing or malformed')];
  if (code !== Status.OK) return [new GrpcStatusError(code, percentDecode(header(statusHeaders, 'grpc-message') ?? ''))];
  if (body.length < 5) return [new GrpcStatusError(Status.INTERNAL, 'no response message')];
  if (body[0] !== 0) return [new GrpcStatusError(Status.INTERNAL, 'compressed response message, none was asked for')];
  const length = body.readUInt32BE(1);
  if (body.length !== 5 + length) return [new GrpcStatusError(Status.INTERNAL, 'response is not exactly one message')];
  return [null, body.subarray(5)];
}

/** A transport failure as a line: the socket error underneath when there is one (e.g. connect ENOENT). */
function transportMessage(err: Error): string {
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error ? cause.message : err.message;
}

export class GrpcUnixChannel {
  private session: http2.ClientHttp2Session | null = null;
  private closed = false;

  constructor(readonly socketPath: string) {}

  private connect(): http2.ClientHttp2Session {
    if (this.session && !this.session.closed && !this.session.destroyed) return this.session;
    // The authority is not checked by containerd; "localhost" is what gRPC clients send for unix sockets.
    const session = http2.connect('http://localhost', {
      createConnection: () => net.connect(this.socketPath),
      settings: { enablePush: false },
    });
    const forget = () => this.forget(session);
    // Connection errors surface on each stream too; here they only retire the session.
    session.on('error', forget);
    session.on('close', forget);
    session.on('goaway', forget);
    // Idle, the channel must not keep the process alive; a call in flight is kept alive by its deadline timer.
    session.unref();
    this.session = session;
    return session;
  }

  /**
   * One unary call: resolves with the response message's bytes, rejects with a GrpcStatusError.
   * A call the server provably never started (its stream refused, as after a GOAWAY from a runtime going down,
   * or a connection already dead when the request was made) is sent once more on a new connection.
   */
  unary(path: string, request: Uint8Array, timeoutMs: number): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      let settled = false;
      let stream: http2.ClientHttp2Stream | null = null;
      const finish = (err: GrpcStatusError | null, body?: Buffer) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (stream && !stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
        if (err) reject(err);
        else resolve(body!);
      };
      const timer = setTimeout(() => finish(new GrpcStatusError(Status.DEADLINE_EXCEEDED, `Deadline exceeded after ${(timeoutMs / 1000).toFixed(3)}s`)), timeoutMs);
      const deadline = Date.now() + timeoutMs;

      const frame = Buffer.allocUnsafe(5 + request.length);
      frame[0] = 0;
      frame.writeUInt32BE(request.length, 1);
      frame.set(request, 5);

      const attempt = (retriesLeft: number) => {
        if (this.closed) return finish(new GrpcStatusError(Status.UNAVAILABLE, 'channel closed'));
        const retry = (why: GrpcStatusError) => {
          if (retriesLeft > 0 && !settled) attempt(retriesLeft - 1);
          else finish(why);
        };
        try {
          stream = this.connect().request({
            ':method': 'POST',
            ':path': path,
            'content-type': 'application/grpc',
            te: 'trailers',
            'grpc-timeout': `${Math.max(1, Math.min(MAX_TIMEOUT_MS, deadline - Date.now()))}m`,
          });
        } catch (err) {
          // The session was closing (e.g. after a GOAWAY) before it could be forgotten.
          this.session = null;
          return retry(new GrpcStatusError(Status.UNAVAILABLE, (err as Error).message, { cause: err }));
        }
        const s = stream;
        const chunks: Buffer[] = [];
        let received = 0;
        let httpStatus = 0;
        // The trailers, or the response headers when they carry grpc-status (a trailers-only answer).
        let statusHeaders: http2.IncomingHttpHeaders | null = null;

        s.on('response', (h) => {
          httpStatus = Number(h[':status']);
          if (header(h, 'grpc-status') !== undefined) statusHeaders = h;
        });
        s.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > MAX_MESSAGE_BYTES + 5) return finish(new GrpcStatusError(Status.RESOURCE_EXHAUSTED, `response larger than ${MAX_MESSAGE_BYTES} bytes`));
          chunks.push(chunk);
        });
        s.on('trailers', (h) => { statusHeaders = h; });
        // Errors are settled on 'close', which always follows.
        s.on('error', () => {});
        s.on('close', () => {
          if (settled || s !== stream) return;
          if (statusHeaders) return finish(...outcome(statusHeaders, Buffer.concat(chunks, received)));
          if (httpStatus && httpStatus !== 200) {
            return finish(new GrpcStatusError(httpStatus === 503 ? Status.UNAVAILABLE : Status.UNKNOWN, `unexpected HTTP status ${httpStatus}`));
          }
          const rst = s.rstCode;
          if (!httpStatus && rst === http2.constants.NGHTTP2_REFUSED_STREAM) {
            this.forget(s.session);
            return retry(new GrpcStatusError(Status.UNAVAILABLE, 'stream refused by the server'));
          }
          const err = (s as { errored?: unknown }).errored;
          if (err instanceof Error) return finish(new GrpcStatusError(Status.UNAVAILABLE, transportMessage(err), { cause: err }));
          finish(new GrpcStatusError(httpStatus ? Status.INTERNAL : Status.UNAVAILABLE,
            rst ? `stream reset (HTTP/2 error code ${rst})` : 'stream ended without a grpc-status'));
        });
        s.end(frame);
      };
      attempt(1);
    });
  }

  private forget(session: http2.Http2Session | undefined): void {
    if (session && this.session === session) this.session = null;
  }

  close(): void {
    this.closed = true;
    this.session?.close();
    this.session = null;
  }
}
