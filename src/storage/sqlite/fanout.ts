// Process-local watch fan-out: every committed write is pushed to the watchers of this
// process in revision order, with no polling. A watch from an old revision first replays
// history (read from the table in bounded chunks), then switches to live delivery in the
// same synchronous step, so there is neither a gap nor a duplicate.
//
// This lives behind the Store interface: an etcd backend uses etcd's own watch instead.
import {
  CompactedError,
  WatchOverflowError,
  type Watch,
  type WatchCallbacks,
  type WatchEvent,
} from '../store.js';

/** Where replays come from: the committed rows of the table. */
export interface History {
  /** Events for keys under prefix with modRevision in [from, to], oldest first, at most `limit`. */
  read(prefix: string, from: number, to: number, limit: number): WatchEvent[];
  compactedRevision(): number;
}

export interface FanoutOptions {
  /** Undelivered events one watcher may hold while its consumer is busy before the watch is ended. */
  maxBuffered: number;
  /** Rows read per replay step; the event loop is yielded between steps. */
  replayChunk: number;
  /** An idle watcher gets onProgress at most this often (and only when the revision moved). 0 = never. */
  progressIntervalMs: number;
  now: () => number;
}

class Watcher implements Watch {
  /** Every event below nextRev has been delivered or is queued. */
  nextRev: number;
  replaying: boolean;
  queue: WatchEvent[] = [];
  /** The consumer's last onEvents promise has not settled yet. */
  busy = false;
  ended = false;
  replayScheduled = false;
  progressWanted = false;
  /** Highest revision the consumer knows everything up to (via events or progress). */
  lastNotified: number;
  lastActivity: number;

  constructor(
    private readonly fanout: Fanout,
    readonly prefix: string,
    readonly cb: WatchCallbacks,
    nextRev: number,
    replaying: boolean,
    now: number,
  ) {
    this.nextRev = nextRev;
    this.replaying = replaying;
    this.lastNotified = nextRev - 1;
    this.lastActivity = now;
  }

  cancel(): void {
    this.fanout.remove(this);
  }

  requestProgress(): void {
    if (this.ended) return;
    this.progressWanted = true;
    queueMicrotask(() => this.fanout.drain(this));
  }
}

const endedWatch: Watch = { cancel() {}, requestProgress() {} };

export class Fanout {
  private readonly watchers = new Set<Watcher>();
  private progressTimer: NodeJS.Timeout | undefined;
  private closedWith: Error | undefined;

  constructor(
    private readonly history: History,
    /** Highest revision handed to publish(): what watchers and reads may see. */
    public published: number,
    private readonly opts: FanoutOptions,
  ) {}

  get size(): number {
    return this.watchers.size;
  }

  watch(prefix: string, fromRevision: number, cb: WatchCallbacks): Watch {
    if (this.closedWith) {
      cb.onError(this.closedWith);
      return endedWatch;
    }
    const compacted = this.history.compactedRevision();
    if (fromRevision > 0 && fromRevision < compacted) {
      cb.onError(new CompactedError(fromRevision, compacted));
      return endedWatch;
    }
    const now = this.opts.now();
    let w: Watcher;
    if (fromRevision <= 0 || fromRevision > this.published) {
      w = new Watcher(this, prefix, cb, fromRevision <= 0 ? this.published + 1 : fromRevision, false, now);
    } else {
      w = new Watcher(this, prefix, cb, fromRevision, true, now);
      this.scheduleReplay(w);
    }
    this.watchers.add(w);
    this.startProgressTimer();
    return w;
  }

  /** Called once per commit, after it is durable, with that commit's events in revision order. */
  publish(events: WatchEvent[], revision: number): void {
    this.published = revision;
    if (events.length === 0) return;
    for (const w of this.watchers) {
      if (w.replaying) continue; // the replay reads these from the table
      for (const ev of events) {
        if (ev.kv.modRevision >= w.nextRev && ev.kv.key.startsWith(w.prefix)) w.queue.push(ev);
      }
      w.nextRev = Math.max(w.nextRev, revision + 1);
      if (w.queue.length > this.opts.maxBuffered) {
        this.end(w, new WatchOverflowError(this.opts.maxBuffered));
        continue;
      }
      this.drain(w);
    }
  }

  /** Ends every watch with err (store closing). */
  closeAll(err: Error): void {
    this.closedWith = err;
    for (const w of [...this.watchers]) this.end(w, err);
    this.stopProgressTimer();
  }

  remove(w: Watcher): void {
    w.ended = true;
    w.queue = [];
    this.watchers.delete(w);
    if (this.watchers.size === 0) this.stopProgressTimer();
  }

  /** Hands queued events to the consumer unless it is still busy with the previous batch. */
  drain(w: Watcher): void {
    if (w.ended || w.busy) return;
    if (w.queue.length > 0) {
      const batch = w.queue;
      w.queue = [];
      w.lastNotified = batch[batch.length - 1]!.kv.modRevision;
      w.lastActivity = this.opts.now();
      let result: void | Promise<void>;
      try {
        result = w.cb.onEvents(batch);
      } catch (err) {
        this.end(w, asError(err));
        return;
      }
      if (result && typeof result.then === 'function') {
        w.busy = true;
        result.then(
          () => {
            w.busy = false;
            if (w.replaying) this.scheduleReplay(w);
            else this.drain(w);
          },
          (err: unknown) => this.end(w, asError(err)),
        );
        return;
      }
    }
    if (!w.replaying && w.progressWanted && !w.ended) {
      w.progressWanted = false;
      this.notifyProgress(w);
    }
  }

  private scheduleReplay(w: Watcher): void {
    if (w.replayScheduled) return;
    w.replayScheduled = true;
    setImmediate(() => {
      w.replayScheduled = false;
      this.replayStep(w);
    });
  }

  /** One bounded chunk of history; switches to live when the chunk reaches the published revision. */
  private replayStep(w: Watcher): void {
    if (w.ended || w.busy || !w.replaying) return;
    const compacted = this.history.compactedRevision();
    if (w.nextRev < compacted) {
      this.end(w, new CompactedError(w.nextRev, compacted));
      return;
    }
    const to = this.published;
    let events: WatchEvent[];
    try {
      events = this.history.read(w.prefix, w.nextRev, to, this.opts.replayChunk);
    } catch (err) {
      this.end(w, asError(err));
      return;
    }
    if (events.length < this.opts.replayChunk) {
      // Caught up: from here on publish() delivers, starting right after `to`.
      w.nextRev = to + 1;
      w.replaying = false;
    } else {
      w.nextRev = events[events.length - 1]!.kv.modRevision + 1;
    }
    w.queue.push(...events);
    this.drain(w);
    if (w.replaying && !w.busy && !w.ended) this.scheduleReplay(w);
  }

  private notifyProgress(w: Watcher): void {
    w.lastNotified = Math.max(w.lastNotified, this.published);
    w.lastActivity = this.opts.now();
    if (!w.cb.onProgress) return;
    try {
      w.cb.onProgress(this.published);
    } catch (err) {
      this.end(w, asError(err));
    }
  }

  private end(w: Watcher, err: Error): void {
    if (w.ended) return;
    this.remove(w);
    try {
      w.cb.onError(err);
    } catch {
      // the consumer's error handler failing must not disturb other watchers
    }
  }

  private startProgressTimer(): void {
    const every = this.opts.progressIntervalMs;
    if (this.progressTimer || every <= 0) return;
    // Check a few times per interval so an idle watcher hears within ~1.25 intervals.
    this.progressTimer = setInterval(() => this.progressTick(), Math.max(1, Math.floor(every / 4)));
    this.progressTimer.unref();
  }

  private stopProgressTimer(): void {
    if (this.progressTimer) clearInterval(this.progressTimer);
    this.progressTimer = undefined;
  }

  /** Idle, caught-up watchers whose revision has moved on hear about it (bookmarks). */
  progressTick(): void {
    const now = this.opts.now();
    for (const w of this.watchers) {
      if (w.replaying || w.busy || w.queue.length > 0) continue;
      if (w.lastNotified >= this.published) continue;
      if (now - w.lastActivity < this.opts.progressIntervalMs) continue;
      this.notifyProgress(w);
    }
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
