// EventRecorder: records core/v1 Events about objects, as Kubernetes' recorder
// does. An identical event (same object, type, reason, message, source) seen again
// bumps `count` and `lastTimestamp` on the existing Event instead of creating a new
// one. Writes happen in the background: recording never blocks or fails a reconcile.
import type { core } from '../api/types.js';
import type { KubeClient, ResourceClient } from './client.js';
import { realClock, type Clock } from './clock.js';
import { EVENTS, type ObjectLike } from './resources.js';

export type EventType = 'Normal' | 'Warning';

interface Seen {
  name: string;
  namespace: string;
  count: number;
  firstTimestamp: string;
  /** The last write for this key; the next one waits for it, so patches follow the create. */
  last: Promise<void>;
}

/** RFC 3339 with second precision, as metav1.Time serialises. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const MAX_REMEMBERED = 4096;

export class EventRecorder {
  private readonly events: ResourceClient<core.Event>;
  private readonly clock: Clock;
  private readonly seen = new Map<string, Seen>();
  private readonly inflight = new Set<Promise<void>>();
  private seq = 0;

  constructor(
    client: KubeClient,
    private readonly source: { component: string; host?: string },
    opts: { clock?: Clock; onError?(err: unknown): void } = {},
  ) {
    this.events = client.resource(EVENTS);
    this.clock = opts.clock ?? realClock;
    this.onError = opts.onError ?? ((err) => console.error(`[events ${source.component}]`, err instanceof Error ? err.message : err));
  }

  private readonly onError: (err: unknown) => void;

  event(obj: ObjectLike, type: EventType, reason: string, message: string): void {
    const meta = obj.metadata ?? {};
    const involved: core.ObjectReference = {
      kind: obj.kind,
      namespace: meta.namespace,
      name: meta.name,
      uid: meta.uid,
      apiVersion: obj.apiVersion,
      resourceVersion: meta.resourceVersion,
    };
    const key = [this.source.component, this.source.host ?? '', involved.kind, involved.namespace ?? '', involved.name, involved.uid, involved.apiVersion, type, reason, message].join('\u0000');
    const now = rfc3339(this.clock.now());
    const prior = this.seen.get(key);
    let write: Promise<void>;
    if (prior) {
      prior.count++;
      const count = prior.count;
      this.seen.delete(key);
      this.seen.set(key, prior); // keep most recently used last
      write = prior.last.then(() => this.bump(prior, count, now, involved, type, reason, message));
      prior.last = write;
    } else {
      const namespace = meta.namespace || 'default';
      const entry: Seen = { name: this.eventName(meta.name ?? 'unknown'), namespace, count: 1, firstTimestamp: now, last: Promise.resolve() };
      write = this.create(entry, 1, now, involved, type, reason, message);
      entry.last = write;
      this.seen.set(key, entry);
      if (this.seen.size > MAX_REMEMBERED) this.seen.delete(this.seen.keys().next().value!);
    }
    this.inflight.add(write);
    void write.finally(() => this.inflight.delete(write));
  }

  /** Waits for every event write started so far (tests, shutdown). */
  async flush(): Promise<void> {
    while (this.inflight.size) await Promise.all([...this.inflight]);
  }

  private eventName(objName: string): string {
    // Kubernetes uses "<object>.<unix nanos in hex>"; a sequence keeps names unique within one millisecond.
    const nanos = BigInt(this.clock.now()) * 1_000_000n + BigInt(this.seq++ % 1_000_000);
    return `${objName}.${nanos.toString(16)}`;
  }

  private async create(entry: Seen, count: number, now: string, involved: core.ObjectReference, type: EventType, reason: string, message: string): Promise<void> {
    const ev: core.Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: entry.name, namespace: entry.namespace },
      involvedObject: involved,
      reason,
      message,
      source: this.source.host ? { component: this.source.component, host: this.source.host } : { component: this.source.component },
      firstTimestamp: entry.firstTimestamp,
      lastTimestamp: now,
      count,
      type,
      reportingComponent: this.source.component,
      reportingInstance: this.source.host ?? '',
    };
    try {
      await this.events.create(entry.namespace, ev);
    } catch (err) {
      this.onError(err);
    }
  }

  private async bump(entry: Seen, count: number, now: string, involved: core.ObjectReference, type: EventType, reason: string, message: string): Promise<void> {
    try {
      await this.events.patch(entry.namespace, entry.name, { count, lastTimestamp: now }, 'merge');
    } catch (err) {
      if ((err as { code?: number }).code === 404) {
        // The earlier Event is gone (expired or deleted): start a fresh one carrying the count.
        entry.name = this.eventName(involved.name ?? 'unknown');
        return this.create(entry, count, now, involved, type, reason, message);
      }
      this.onError(err);
    }
  }
}
