// One informer (one list + one watch) per resource, shared by every controller in
// a process. Controllers ask the factory, add handlers and indexers, then the
// composition root starts the factory once.
import type { KubeClient } from './client.js';
import { indexByNamespace, NAMESPACE_INDEX, type Indexers } from './cache.js';
import type { Clock } from './clock.js';
import { Informer, type InformerOptions } from './informer.js';
import type { ObjectLike, ResourceType } from './resources.js';

export interface SharedInformerFactoryOptions {
  /** Limit every informer to one namespace. */
  namespace?: string;
  clock?: Clock;
  watchTimeoutSeconds?: number;
  onError?(err: unknown): void;
}

export class SharedInformerFactory {
  private readonly informers = new Map<string, Informer<ObjectLike>>();
  private started = false;

  constructor(
    readonly client: KubeClient,
    private readonly opts: SharedInformerFactoryOptions = {},
  ) {}

  /** The shared informer for `type` (created on first ask, with a namespace index). */
  informer<T extends ObjectLike>(type: ResourceType<T>, extra: { indexers?: Indexers<T> } = {}): Informer<T> {
    const key = `${type.group}/${type.version}/${type.resource}`;
    let inf = this.informers.get(key) as Informer<T> | undefined;
    if (!inf) {
      const options: InformerOptions<T> = {
        namespace: this.opts.namespace,
        clock: this.opts.clock,
        watchTimeoutSeconds: this.opts.watchTimeoutSeconds,
        onError: this.opts.onError,
        name: `informer ${type.resource}`,
        indexers: { [NAMESPACE_INDEX]: indexByNamespace } as Indexers<T>,
      };
      inf = new Informer<T>(this.client.resource(type), options);
      this.informers.set(key, inf as unknown as Informer<ObjectLike>);
      if (this.started) inf.start();
    }
    if (extra.indexers) {
      // Indexers are shared: adding one another controller already added is fine.
      const fresh: Indexers<T> = {};
      for (const [name, fn] of Object.entries(extra.indexers)) if (!inf.cache.hasIndex(name)) fresh[name] = fn;
      inf.addIndexers(fresh);
    }
    return inf;
  }

  start(): void {
    this.started = true;
    for (const inf of this.informers.values()) inf.start();
  }

  async waitForSync(signal?: AbortSignal): Promise<boolean> {
    const results = await Promise.all([...this.informers.values()].map((i) => i.waitForSync(signal)));
    return results.every(Boolean);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }
}
