// Watch streaming: one store watch per API watch, events filtered by selectors, encoded once per
// (stored revision, event type, output format) and the bytes shared by every watcher asking for
// the same thing. Bookmarks, initial events, 410 for compacted revisions and timeouts as Kubernetes.
import { ApiError, errors } from '../../api/errors.js';
import type { KubeObject, WatchEventType } from '../../api/types.js';
import type { Logger } from '../../api/log.js';
import { CompactedError, WatchOverflowError, type KeyValue, type WatchEvent as StoreEvent } from '../../storage/store.js';
import { decodeValue, listPrefix, objectKey, servedJsonOf, type ServedResource } from '../resources.js';
import { compileSelectors } from '../selectors.js';
import { partialMetadata, toTable, type IncludeObject } from '../tables.js';
import { compactedError, type ObjectService } from '../rest/objects.js';
import { MatchMemory, metadataOnly } from './selection.js';

export type WatchFormat = { kind: 'json' } | { kind: 'table'; version: string; include: IncludeObject } | { kind: 'partial'; version: string };

export interface WatchQuery {
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
  allowWatchBookmarks: boolean;
  sendInitialEvents?: boolean;
  timeoutSeconds?: number;
}

/** Where a watch writes; an HTTP response in practice. */
export interface WatchSink {
  write(chunk: string): void;
  /** Bytes queued but not yet sent (backpressure). */
  buffered(): number;
  /** Resolves when the queued bytes have gone out (or the client left). */
  drained(): Promise<void>;
  end(): void;
  onClose(cb: () => void): void;
  cork(): void;
  uncork(): void;
}

export interface WatchSettings {
  bookmarkIntervalMs: number;
  /** Upper bound of a watch's life when the client gives no timeoutSeconds. */
  defaultTimeoutSeconds: number;
  /** Above this many queued bytes the watch stops taking events until the socket drains. */
  highWaterBytes: number;
}

export const defaultWatchSettings: WatchSettings = {
  bookmarkIntervalMs: 60_000,
  defaultTimeoutSeconds: 1800,
  highWaterBytes: 1024 * 1024,
};

function formatKey(f: WatchFormat): string {
  if (f.kind === 'json') return 'j';
  if (f.kind === 'partial') return `p${f.version}`;
  return `t${f.version}${f.include}`;
}

/** Shared per stored revision: decoded object, its metadata alone (label selectors) and encoded event lines. */
const decodedByKv = new WeakMap<KeyValue, KubeObject>();
const metadataByKv = new WeakMap<KeyValue, KubeObject>();
const linesByKv = new WeakMap<KeyValue, Map<string, string>>();

export class WatchEncoder {
  constructor(
    private readonly service: ObjectService,
    private readonly r: ServedResource,
  ) {}

  objectOf(ev: StoreEvent): KubeObject {
    let obj = decodedByKv.get(ev.kv);
    if (!obj) {
      const value = ev.type === 'delete' ? (ev.prevKv?.value ?? ev.kv.value) : ev.kv.value;
      obj = decodeValue(this.r, value, ev.kv.modRevision);
      decodedByKv.set(ev.kv, obj);
    }
    return obj;
  }

  /** What a label selector reads of a put event's object: its metadata, parsed alone when the object itself was not decoded. */
  metadataOf(ev: StoreEvent): KubeObject {
    const decoded = decodedByKv.get(ev.kv) ?? metadataByKv.get(ev.kv);
    if (decoded) return decoded;
    const meta = this.r.converts ? undefined : metadataOnly(ev.kv.value);
    if (!meta) return this.objectOf(ev);
    metadataByKv.set(ev.kv, meta);
    return meta;
  }

  previousOf(ev: StoreEvent): KubeObject | undefined {
    if (!ev.prevKv) return undefined;
    let obj = decodedByKv.get(ev.prevKv);
    if (!obj) {
      obj = decodeValue(this.r, ev.prevKv.value, ev.prevKv.modRevision);
      decodedByKv.set(ev.prevKv, obj);
    }
    return obj;
  }

  encode(type: WatchEventType, obj: KubeObject, format: WatchFormat): string {
    let object: unknown = obj;
    if (format.kind === 'table') {
      object = toTable(this.r.def, [obj], format.include, this.service.ctx, { resourceVersion: obj.metadata?.resourceVersion }, format.version);
    } else if (format.kind === 'partial') {
      object = partialMetadata(obj, format.version);
    }
    return `{"type":"${type}","object":${JSON.stringify(object)}}\n`;
  }

  /**
   * The event line for a stored change, built once and shared. JSON lines are spliced from the
   * stored bytes (no parse, no stringify) when their layout allows; other formats need the object.
   */
  line(ev: StoreEvent, type: WatchEventType, format: WatchFormat): string {
    let lines = linesByKv.get(ev.kv);
    if (!lines) {
      lines = new Map();
      linesByKv.set(ev.kv, lines);
    }
    const k = type + formatKey(format);
    let line = lines.get(k);
    if (line === undefined) {
      let json: string | undefined;
      if (format.kind === 'json') {
        const value = ev.type === 'delete' ? (ev.prevKv?.value ?? ev.kv.value) : ev.kv.value;
        json = servedJsonOf(this.r, value, ev.kv.modRevision);
      }
      line = json !== undefined ? `{"type":"${type}","object":${json}}\n` : this.encode(type, this.objectOf(ev), format);
      lines.set(k, line);
    }
    return line;
  }
}

function errorLine(err: ApiError): string {
  return `{"type":"ERROR","object":${JSON.stringify(err.toStatus())}}\n`;
}

/**
 * Runs one watch until the client goes, the timeout passes or the store ends it.
 * Errors found before streaming starts (bad selectors) are thrown for a normal Status response.
 */
export async function runWatch(
  service: ObjectService,
  r: ServedResource,
  ns: string | undefined,
  q: WatchQuery,
  format: WatchFormat,
  sink: WatchSink,
  settings: WatchSettings,
  log: Logger,
): Promise<void> {
  const sel = compileSelectors(q.labelSelector, q.fieldSelector, r.def);
  const enc = new WatchEncoder(service, r);
  const store = service.store;
  const prefix = sel.name !== undefined && (!r.def.namespaced || ns) ? objectKey(r, ns, sel.name) : listPrefix(r, ns);
  const rv = q.resourceVersion;
  if (rv && rv !== '0' && !/^\d+$/.test(rv)) throw errors.badRequest(`invalid resource version: ${rv}`);
  const initial = !rv || rv === '0' || q.sendInitialEvents === true;
  if (q.sendInitialEvents && q.resourceVersionMatch !== 'NotOlderThan') {
    throw errors.invalid('meta.k8s.io', 'ListOptions', '', [
      { type: 'FieldValueForbidden', field: 'resourceVersionMatch', message: "Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan" },
    ]);
  }

  let closed = false;
  let lastRevision = 0;
  const timers: NodeJS.Timeout[] = [];
  let storeWatch: { cancel(): void } | undefined;
  const finish = () => {
    if (closed) return;
    closed = true;
    storeWatch?.cancel();
    for (const t of timers) clearTimeout(t);
    sink.end();
  };
  sink.onClose(() => {
    closed = true;
    storeWatch?.cancel();
    for (const t of timers) clearTimeout(t);
  });

  const bookmark = (extra?: Record<string, string>) => {
    if (closed || lastRevision === 0) return;
    const metadata: Record<string, unknown> = { resourceVersion: String(lastRevision) };
    if (extra) metadata.annotations = extra;
    sink.write(`{"type":"BOOKMARK","object":${JSON.stringify({ kind: r.def.kind, apiVersion: r.apiVersion, metadata })}}\n`);
  };

  let fromRevision: number;
  let seeded: Array<[string, number]> | undefined;
  if (initial) {
    let listed;
    try {
      listed = await service.list(r, ns, {
        labelSelector: q.labelSelector,
        fieldSelector: q.fieldSelector,
        resourceVersion: q.sendInitialEvents ? rv : undefined,
        resourceVersionMatch: q.sendInitialEvents ? 'NotOlderThan' : undefined,
      });
    } catch (err) {
      if (err instanceof ApiError) {
        sink.write(errorLine(err));
        finish();
        return;
      }
      throw err;
    }
    if (sel.filtering) {
      seeded = listed.items.map((obj) => [objectKey(r, obj.metadata?.namespace, obj.metadata?.name ?? ''), Number(obj.metadata?.resourceVersion)]);
    }
    sink.cork();
    for (const obj of listed.items) sink.write(enc.encode('ADDED', obj, format));
    lastRevision = listed.revision;
    if (q.sendInitialEvents && q.allowWatchBookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' });
    sink.uncork();
    fromRevision = listed.revision + 1;
  } else {
    lastRevision = Number(rv);
    fromRevision = lastRevision + 1;
  }
  if (closed) return;
  // Selector watches: whether each key's previous version matched, without decoding it.
  const memory = new MatchMemory(fromRevision);
  if (seeded) memory.seedFromList(seeded);
  // Label selectors read metadata only; field selectors may read spec or status.
  const labelsOnly = !q.fieldSelector;

  const onEvents = (events: StoreEvent[]): void | Promise<void> => {
    if (closed) return;
    sink.cork();
    for (const ev of events) {
      lastRevision = ev.kv.modRevision;
      let type: WatchEventType;
      if (!sel.filtering) {
        type = ev.type === 'delete' ? 'DELETED' : ev.kv.createRevision === ev.kv.modRevision ? 'ADDED' : 'MODIFIED';
      } else {
        let prevMatch = false;
        if (ev.prevKv) prevMatch = memory.previousMatched(ev.prevKv) ?? sel.matches(enc.previousOf(ev)!);
        if (ev.type === 'delete') {
          memory.record(ev.kv.key, ev.kv.modRevision, false);
          if (!prevMatch) continue;
          type = 'DELETED';
        } else {
          const curMatch = sel.matches(labelsOnly ? enc.metadataOf(ev) : enc.objectOf(ev));
          memory.record(ev.kv.key, ev.kv.modRevision, curMatch);
          if (curMatch && prevMatch) type = 'MODIFIED';
          else if (curMatch) type = 'ADDED';
          else if (prevMatch) type = 'DELETED';
          else continue;
        }
      }
      sink.write(enc.line(ev, type, format));
    }
    sink.uncork();
    // A slow client holds its own events back (the store buffers them), never the writers.
    if (sink.buffered() > settings.highWaterBytes) return sink.drained();
  };

  storeWatch = store.watch(prefix, { fromRevision }, {
    onEvents,
    onError(err) {
      if (closed) return;
      if (err instanceof WatchOverflowError) {
        // Too far behind: end the stream; the client watches again from its last resourceVersion.
        log.warn('watcher fell behind; ending its watch', { resource: r.def.resource });
      } else if (err instanceof CompactedError) sink.write(errorLine(compactedError(err)));
      else sink.write(errorLine(errors.internal(err.message, err)));
      finish();
    },
    onProgress(revision) {
      if (revision > lastRevision) lastRevision = revision;
    },
  });

  const timeoutSeconds = q.timeoutSeconds && q.timeoutSeconds > 0 ? q.timeoutSeconds : settings.defaultTimeoutSeconds * (1 + Math.random());
  timers.push(setTimeout(finish, timeoutSeconds * 1000));
  if (q.allowWatchBookmarks) {
    const interval = setInterval(() => bookmark(), settings.bookmarkIntervalMs);
    timers.push(interval);
  }
}
