// The scheduling cache: every node with the resources its pods take, fed by the node
// and pod informers, plus pods the scheduler has assumed onto a node before the API
// server confirmed the binding. Counting assumed pods is what lets a burst of six
// replicas spread 2 + 2 + 2 instead of piling onto the node that looked emptiest.
import type { core } from '../api/types.js';
import { accountPod, controllerUid, makeNodeInfo, makePodInfo, podKey, shareOf, withNode } from './framework/nodeinfo.js';
import type { NodeInfo, PodInfo, PodShare } from './framework/types.js';

interface CachedPod {
  info: PodShare;
  nodeName: string;
  assumed: boolean;
  /** When the bind finished (assumed pods only); unconfirmed ones expire after a TTL. */
  boundAt?: number;
}

export function isTerminal(pod: core.Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

export class SchedulerCache {
  private readonly nodes = new Map<string, NodeInfo>();
  private readonly pods = new Map<string, CachedPod>();
  private readonly podsByNode = new Map<string, Set<string>>();
  private list: NodeInfo[] | undefined;

  constructor(private readonly assumedTtlMs = 30_000) {}

  get nodeCount(): number {
    return this.nodes.size;
  }

  /** All nodes, in a stable order (the scheduler rotates through it). */
  nodeInfos(): readonly NodeInfo[] {
    if (!this.list) this.list = [...this.nodes.values()];
    return this.list;
  }

  getNode(name: string): NodeInfo | undefined {
    return this.nodes.get(name);
  }

  isAssumed(key: string): boolean {
    return this.pods.get(key)?.assumed ?? false;
  }

  setNode(node: core.Node): void {
    const name = node.metadata?.name ?? '';
    const old = this.nodes.get(name);
    if (old) {
      const fresh = withNode(old, node);
      this.nodes.set(name, fresh);
      if (this.list) this.list[this.list.indexOf(old)] = fresh;
      return;
    }
    const info = makeNodeInfo(node);
    for (const key of this.podsByNode.get(name) ?? []) accountPod(info, this.pods.get(key)!.info, 1);
    this.nodes.set(name, info);
    this.list = undefined;
  }

  removeNode(name: string): void {
    if (this.nodes.delete(name)) this.list = undefined;
  }

  /** A pod the informer shows with a nodeName (bound), or its latest version. */
  setPod(pod: core.Pod): void {
    const key = podKey(pod);
    const nodeName = pod.spec?.nodeName;
    if (!nodeName || isTerminal(pod)) {
      this.removePod(key);
      return;
    }
    const cached = this.pods.get(key);
    if (cached && cached.nodeName === nodeName && cached.info.ownerUid === controllerUid(pod)) {
      // Confirmed (or still the same): requests of a bound pod do not change. Its owner can: a pod relabelled
      // out of its ReplicaSet is released, and no longer counts as a sibling when spreading the replacement.
      cached.assumed = false;
      delete cached.boundAt;
      return;
    }
    if (cached) this.removePod(key);
    this.add(key, shareOf(makePodInfo(pod)), nodeName, false);
  }

  removePod(key: string): void {
    const cached = this.pods.get(key);
    if (!cached) return;
    this.pods.delete(key);
    this.podsByNode.get(cached.nodeName)?.delete(key);
    const node = this.nodes.get(cached.nodeName);
    if (node) accountPod(node, cached.info, -1);
  }

  /** Places the pod on the node in the cache before the binding is sent. */
  assume(info: PodInfo, nodeName: string): void {
    this.removePod(info.key);
    this.add(info.key, shareOf(info), nodeName, true);
  }

  /** The bind call returned; start the confirmation TTL. */
  finishBinding(key: string, now: number): void {
    const cached = this.pods.get(key);
    if (cached?.assumed) cached.boundAt = now;
  }

  /** The bind failed: take the assumed pod back out. */
  forget(key: string): void {
    if (this.pods.get(key)?.assumed) this.removePod(key);
  }

  /** Drops assumed pods whose binding the informer never confirmed. */
  expireAssumed(now: number): void {
    for (const [key, p] of this.pods) {
      if (p.assumed && p.boundAt !== undefined && now - p.boundAt > this.assumedTtlMs) this.removePod(key);
    }
  }

  private add(key: string, info: PodShare, nodeName: string, assumed: boolean): void {
    this.pods.set(key, { info, nodeName, assumed });
    let set = this.podsByNode.get(nodeName);
    if (!set) this.podsByNode.set(nodeName, (set = new Set()));
    set.add(key);
    const node = this.nodes.get(nodeName);
    if (node) accountPod(node, info, 1);
  }
}
