// EventRecorder: records core/v1 Events about objects, as Kubernetes' recorder
// (client-go tools/record, EventCorrelator) does:
//  - an identical event (same object, type, reason, message, source) bumps `count`
//    and `lastTimestamp` on the existing Event instead of creating a new one;
//  - from the 10th distinct message with the same object/type/reason within 10
//    minutes, events are combined into one "(combined from similar events): …" Event;
//  - a spam filter allows each (source, object) a burst of 25 events, refilled at one
//    per 5 minutes: an RS creating 1,000 pods does not write 1,000 Events.
// Writes happen in the background: recording never blocks or fails a reconcile.
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
const AGGREGATE_AFTER = 10;
const AGGREGATE_WINDOW_MS = 600_000;
const SPAM_BURST = 25;
const SPAM_REFILL_MS = 300_000;

interface Bucket {
  tokens: number;
  at: number;
}

interface Similar {
  messages: Set<string>;
  since: number;
}

function remember<K, V>(map: Map<K, V>, key: K, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_REMEMBERED) map.delete(map.keys().next().value!);
}

export class EventRecorder {
  private readonly events: ResourceClient<core.Event>;
  private readonly clock: Clock;
  private readonly seen = new Map<string, Seen>();
  private readonly buckets = new Map<string, Bucket>();
  private readonly similar = new Map<string, Similar>();
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

  /**
   * Records an event about obj. fieldPath points into it, as the kubelet's container events do
   * (`spec.containers{web}`, `spec.initContainers{setup}`): kubectl shows it as SUBOBJECT and
   * `kubectl describe` under "From". Events differing only in fieldPath are counted apart.
   */
  event(obj: ObjectLike, type: EventType, reason: string, message: string, fieldPath?: string): void {
    const meta = obj.metadata ?? {};
    const involved: core.ObjectReference = {
      kind: obj.kind,
      namespace: meta.namespace,
      name: meta.name,
      uid: meta.uid,
      apiVersion: obj.apiVersion,
      resourceVersion: meta.resourceVersion,
      ...(fieldPath ? { fieldPath } : {}),
    };
    const nowMs = this.clock.now();
    const objectKey = [this.source.component, this.source.host ?? '', involved.kind, involved.namespace ?? '', involved.name, involved.uid, involved.apiVersion].join('\u0000');
    if (!this.takeToken(objectKey, nowMs)) return;

    // Similar events (same object, type, reason; different messages) are combined past a threshold.
    const similarKey = `${objectKey}\u0000${type}\u0000${reason}`;
    let similar = this.similar.get(similarKey);
    if (!similar || nowMs - similar.since > AGGREGATE_WINDOW_MS) similar = { messages: new Set(), since: nowMs };
    similar.messages.add(message);
    remember(this.similar, similarKey, similar);
    let key = `${similarKey}\u0000${fieldPath ?? ''}\u0000${message}`;
    if (similar.messages.size >= AGGREGATE_AFTER) {
      message = `(combined from similar events): ${message}`;
      key = similarKey;
    }

    const now = rfc3339(nowMs);
    const prior = this.seen.get(key);
    let write: Promise<void>;
    if (prior) {
      prior.count++;
      const count = prior.count;
      remember(this.seen, key, prior);
      const msg = message;
      write = prior.last.then(() => this.bump(prior, count, now, involved, type, reason, msg));
      prior.last = write;
    } else {
      const namespace = meta.namespace || 'default';
      const entry: Seen = { name: this.eventName(meta.name ?? 'unknown'), namespace, count: 1, firstTimestamp: now, last: Promise.resolve() };
      write = this.create(entry, 1, now, involved, type, reason, message);
      entry.last = write;
      remember(this.seen, key, entry);
    }
    this.inflight.add(write);
    void write.finally(() => this.inflight.delete(write));
  }

  /** Token bucket per (source, object): burst 25, one more every 5 minutes. */
  private takeToken(key: string, nowMs: number): boolean {
    let b = this.buckets.get(key);
    if (!b) b = { tokens: SPAM_BURST, at: nowMs };
    const refill = Math.floor((nowMs - b.at) / SPAM_REFILL_MS);
    if (refill > 0) b = { tokens: Math.min(SPAM_BURST, b.tokens + refill), at: b.at + refill * SPAM_REFILL_MS };
    remember(this.buckets, key, b);
    if (b.tokens <= 0) return false;
    b.tokens--;
    return true;
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
      await this.events.patch(entry.namespace, entry.name, { count, lastTimestamp: now, message }, 'merge');
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
