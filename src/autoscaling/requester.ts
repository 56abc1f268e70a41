// The one thing the metrics pipeline and the autoscaler need of a client: send a
// request, get parsed JSON back or an ApiError. src/client's KubeClient fits it; the
// narrow shape keeps these components testable against any API server.
export interface ApiRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  /** Accept header; default application/json. */
  accept?: string;
}

export interface ApiRequester {
  request<R>(opts: ApiRequest): Promise<R>;
}

/** Records an Event about an object (src/client's EventRecorder fits it). */
export interface EventSink {
  event(obj: { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string; uid?: string; resourceVersion?: string } }, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

/** The HTTP status of an error from the client, when it carries one. */
export function errorCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
