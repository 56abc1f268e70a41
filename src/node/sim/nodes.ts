// Simulated nodes: one in-process manager for N Node objects. All nodes share one pod
// informer (indexed by nodeName), one timer heap for every pod's next transition, one
// ticker that renews Leases spread evenly over the renewal interval, and one HTTPS
// endpoint for `kubectl logs`. The "what happens next" logic is pure (lifecycle.ts);
// this file only reads caches, keeps per-pod memory and writes what changed.
import { isDeepStrictEqual } from 'node:util';
import { ApiError } from '../../api/errors.js';
import type { coordination, core } from '../../api/types.js';
import {
  type Clock,
  finalState,
  type Informer,
  type KubeClient,
  LEASES,
  NAMESPACES,
  NODE_NAME_INDEX,
  NODES,
  PODS,
  indexByNodeName,
  objectKey,
  realClock,
  SharedInformerFactory,
} from '../../client/index.js';
import { findCondition, microTime, rfc3339 } from '../shared/conditions.js';
import { MinHeap } from '../shared/heap.js';
import { ANNOTATION_NODE_STOPPED, behaviourOf } from './annotations.js';
import { advanceStep, type NodeContext, type PodMemory, renderStatus } from './lifecycle.js';
import { type KubeletEndpoints, startKubeletEndpoints } from './kubelet.js';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
export const SIM_NODE_LABEL = 'type';
export const SIM_NODE_LABEL_VALUE = 'kujira-sim';

export interface NodeCapacity {
  cpu: string;
  memory: string;
  pods: string;
}

export const DEFAULT_CAPACITY: NodeCapacity = { cpu: '4', memory: '8Gi', pods: '110' };

export interface SimulatedNodeOptions {
  /** Node names are `${namePrefix}${i}` for i = 1..count. */
  namePrefix?: string;
  labels?: Record<string, string>;
  leaseDurationSeconds?: number;
  leaseRenewIntervalMs?: number;
  /** Default time from bound to running, when a pod sets no sim.kujira.io/start-latency. */
  startLatencyMs?: number;
  /** Longest a simulated container takes to stop on deletion. */
  terminationMs?: number;
  /** A pod status that will change again within this many ms is not written (default 250). */
  statusCoalesceMs?: number;
  /** Concurrent pod status writes. */
  podWorkers?: number;
  /** Serve the kubelet endpoints: `kubectl logs` and /stats/summary (needs the openssl CLI for a certificate). */
  kubeletEndpoints?: boolean;
  /** Pod CIDRs are 10.<base + i/256>.<i%256>.0/24. */
  podCidrSecondOctet?: number;
  kubeletVersion?: string;
  onError?(err: unknown): void;
}

export interface ContainerUsage {
  name: string;
  /** millicores */
  cpu: number;
  /** bytes */
  memory: number;
}

export interface SimulatedNodes {
  readonly nodeNames: string[];
  /** Resolves once every node is registered and the pod cache is synced. */
  readonly ready: Promise<void>;
  /** What each running container of a pod ("ns/name") uses, from sim.kujira.io/cpu and /memory. */
  usage(podKey: string): ContainerUsage[] | undefined;
  /** Stops one node's heartbeats and pod updates (as the sim.kujira.io/stopped annotation does). */
  setStopped(nodeName: string, stopped: boolean): void;
  stop(): Promise<void>;
}

export interface StartSimulatedNodesArgs {
  client: KubeClient;
  count: number;
  capacity?: Partial<NodeCapacity>;
  now?: () => number;
  clock?: Clock;
  informers?: SharedInformerFactory;
  options?: SimulatedNodeOptions;
}

interface SimNode {
  name: string;
  index: number;
  uid?: string;
  cidrPrefix: string;
  freeIps: number[];
  lease?: coordination.Lease;
  renewAt: number;
  stopped: boolean;
  repairing: boolean;
}

interface PodState {
  memory?: PodMemory;
  uid: string;
  ip: string;
  nodeName: string;
  lastWritten?: core.PodStatus;
  /** The resourceVersion our last status write produced: while the cache holds it, the stored status is ours. */
  writtenVersion?: string;
  deleting?: boolean;
}

const DEFAULT_USAGE_CPU = 1;
const DEFAULT_USAGE_MEMORY = 4 * 1024 * 1024;
/** What a simulated node's own system uses, beside its pods. */
const NODE_BASE_CPU = 50;
const NODE_BASE_MEMORY = 256 * 1024 * 1024;

/** A tiny semaphore: at most `limit` tasks at once, FIFO. */
function limiter(limit: number): <R>(fn: () => Promise<R>) => Promise<R> {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async <R>(fn: () => Promise<R>): Promise<R> => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

export function startSimulatedNodes(args: StartSimulatedNodesArgs): SimulatedNodes {
  const opts = args.options ?? {};
  const baseClock = args.clock ?? realClock;
  const now = args.now ?? (() => baseClock.now());
  const onError = opts.onError ?? ((err: unknown) => console.error('[simnodes]', err instanceof Error ? err.message : err));
  const capacity: NodeCapacity = { ...DEFAULT_CAPACITY, ...(args.capacity ?? {}) };
  const prefix = opts.namePrefix ?? 'kujira-sim-';
  const leaseDurationSeconds = opts.leaseDurationSeconds ?? 40;
  const renewMs = opts.leaseRenewIntervalMs ?? 10_000;
  const startLatencyMs = opts.startLatencyMs ?? 100;
  const terminationMs = opts.terminationMs ?? 1000;
  const coalesceMs = opts.statusCoalesceMs ?? 250;
  const secondOctet = opts.podCidrSecondOctet ?? 244;
  const ownFactory = !args.informers;
  const factory = args.informers ?? new SharedInformerFactory(args.client, { clock: baseClock, onError });
  const podsApi = args.client.resource(PODS);
  const nodesApi = args.client.resource(NODES);
  const leasesApi = args.client.resource(LEASES);
  const writeLimit = limiter(16);
  const startedAt = now();

  const nodes = new Map<string, SimNode>();
  const nodeNames: string[] = [];
  for (let i = 1; i <= args.count; i++) {
    const name = `${prefix}${i}`;
    const third = i % 256;
    const second = secondOctet + Math.floor(i / 256);
    nodes.set(name, {
      name,
      index: i,
      cidrPrefix: `10.${second}.${third}`,
      freeIps: Array.from({ length: 253 }, (_, k) => 254 - k),
      // Spread renewals evenly over one interval.
      renewAt: startedAt + Math.floor((renewMs * (i - 1)) / Math.max(1, args.count)),
      stopped: false,
      repairing: false,
    });
    nodeNames.push(name);
  }

  const podStates = new Map<string, PodState>();
  let stopped = false;
  let kubelet: KubeletEndpoints | undefined;

  const podInformer: Informer<core.Pod> = factory.informer(PODS, { indexers: { [NODE_NAME_INDEX]: indexByNodeName } });
  const nodeInformer: Informer<core.Node> = factory.informer(NODES);

  // ---- pod work: dirty keys processed by a few workers; one heap of wake times ----------

  const dirty = new Set<string>();
  const order: string[] = [];
  let head = 0;
  const processing = new Set<string>();
  const redo = new Set<string>();
  let activeWorkers = 0;
  const maxWorkers = opts.podWorkers ?? 32;

  function markDirty(key: string): void {
    if (stopped) return;
    if (processing.has(key)) {
      redo.add(key);
      return;
    }
    if (dirty.has(key)) return;
    dirty.add(key);
    order.push(key);
    pump();
  }

  const inflightWork = new Set<Promise<unknown>>();
  function track<R>(p: Promise<R>): Promise<R> {
    inflightWork.add(p);
    void p.then(
      () => inflightWork.delete(p),
      () => inflightWork.delete(p),
    );
    return p;
  }

  function pump(): void {
    while (!stopped && activeWorkers < maxWorkers && head < order.length) {
      const key = order[head++]!;
      if (head > 4096 && head * 2 > order.length) {
        order.splice(0, head);
        head = 0;
      }
      dirty.delete(key);
      activeWorkers++;
      processing.add(key);
      void track(processPod(key))
        .catch(onError)
        .finally(() => {
          processing.delete(key);
          activeWorkers--;
          if (redo.delete(key)) markDirty(key);
          pump();
        });
    }
  }

  const wakeHeap = new MinHeap<string>();
  const wakeAt = new Map<string, number>();
  let wakeTimer: { cancel(): void; at: number } | undefined;

  function wakeLater(key: string, at: number): void {
    const cur = wakeAt.get(key);
    if (cur !== undefined && cur <= at && cur >= now()) return;
    wakeAt.set(key, at);
    wakeHeap.push(at, key);
    armWake();
  }

  function armWake(): void {
    const at = wakeHeap.peekKey();
    if (at === undefined || stopped) return;
    if (wakeTimer && wakeTimer.at <= at) return;
    wakeTimer?.cancel();
    const handle = baseClock.setTimer(fireWakes, Math.max(0, at - now()));
    wakeTimer = { cancel: () => handle.cancel(), at };
  }

  function fireWakes(): void {
    wakeTimer = undefined;
    const t = now();
    while (wakeHeap.size > 0 && wakeHeap.peekKey()! <= t) {
      const at = wakeHeap.peekKey()!;
      const key = wakeHeap.pop()!;
      if (wakeAt.get(key) !== at) continue;
      wakeAt.delete(key);
      markDirty(key);
    }
    armWake();
  }

  function allocateIp(node: SimNode, pod: core.Pod): string {
    const existing = pod.status?.podIP;
    if (existing && existing.startsWith(node.cidrPrefix + '.')) {
      const last = Number(existing.split('.')[3]);
      const i = node.freeIps.indexOf(last);
      if (i >= 0) node.freeIps.splice(i, 1);
      return existing;
    }
    const last = node.freeIps.pop() ?? 2 + Math.floor(Math.random() * 252);
    return `${node.cidrPrefix}.${last}`;
  }

  function releaseIp(state: PodState): void {
    const node = nodes.get(state.nodeName);
    if (!node) return;
    const last = Number(state.ip.split('.')[3]);
    if (!node.freeIps.includes(last)) node.freeIps.push(last);
  }

  function forgetPod(key: string): void {
    const st = podStates.get(key);
    if (st) releaseIp(st);
    podStates.delete(key);
    wakeAt.delete(key);
  }

  async function processPod(key: string): Promise<void> {
    const pod = podInformer.cache.get(key);
    const nodeName = pod?.spec?.nodeName;
    const node = nodeName ? nodes.get(nodeName) : undefined;
    if (!pod || !node) {
      forgetPod(key);
      return;
    }
    if (node.stopped) return; // a dead machine reports nothing; resumed when it comes back
    const uid = pod.metadata?.uid ?? '';
    let st = podStates.get(key);
    if (st && (st.uid !== uid || st.nodeName !== node.name)) {
      forgetPod(key);
      st = undefined;
    }
    if (!st) {
      st = { uid, ip: allocateIp(node, pod), nodeName: node.name };
      podStates.set(key, st);
    }
    if (st.deleting) return;
    if (st.memory && st.writtenVersion !== undefined && st.writtenVersion === pod.metadata?.resourceVersion) {
      // The informer shows our own last write and nobody changed the pod since: nothing to render
      // again (the step that wrote it already set a wake-up for whatever is due next).
      st.lastWritten = undefined;
      st.writtenVersion = undefined;
      return;
    }
    const behaviour = behaviourOf(pod, { startLatencyMs });
    const ctx: NodeContext = { hostIP: '127.0.0.1', podIP: st.ip, startLatencyMs, terminationMs };
    const at = now();
    const r = advanceStep(pod, st.memory, behaviour, ctx, at);
    st.memory = r.memory;
    if (r.delete) {
      st.deleting = true;
      try {
        await podsApi.delete(pod.metadata?.namespace, pod.metadata?.name ?? '', { gracePeriodSeconds: 0, preconditions: { uid } });
      } catch (err) {
        if (!(err instanceof ApiError && (err.code === 404 || err.code === 409))) {
          st.deleting = false;
          throw err;
        }
      }
      return;
    }
    if (r.wakeAt !== undefined) wakeLater(key, r.wakeAt);
    // A state that will be replaced within the coalescing window is not worth a write
    // (a busy kubelet's status manager batches the same way).
    if (r.wakeAt !== undefined && r.wakeAt - now() <= coalesceMs) return;
    const status = r.status ?? renderStatus(pod, r.memory, behaviour, ctx, at);
    if (sameStatus(pod.status, status)) {
      // Confirmed by the informer: stop holding our copy (100,000 pods' statuses add up).
      st.lastWritten = undefined;
      st.writtenVersion = undefined;
      return;
    }
    if (st.lastWritten && sameRendering(st.lastWritten, status)) return;
    st.lastWritten = status;
    st.writtenVersion = undefined;
    try {
      // PUT against the cached version: a conflict means a newer one is on its way through the informer.
      const written = await podsApi.updateStatus(pod.metadata?.namespace, { ...pod, status });
      if (st.lastWritten === status) st.writtenVersion = written.metadata?.resourceVersion;
    } catch (err) {
      st.lastWritten = undefined;
      st.writtenVersion = undefined;
      if (err instanceof ApiError && (err.code === 404 || err.code === 409)) return;
      throw err;
    }
  }

  // ---- nodes and leases -----------------------------------------------------------------

  function nodeObject(n: SimNode): core.Node {
    const labels: Record<string, string> = {
      'beta.kubernetes.io/arch': 'amd64',
      'beta.kubernetes.io/os': 'linux',
      'kubernetes.io/arch': 'amd64',
      'kubernetes.io/hostname': n.name,
      'kubernetes.io/os': 'linux',
      [SIM_NODE_LABEL]: SIM_NODE_LABEL_VALUE,
      ...(opts.labels ?? {}),
    };
    return {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: n.name, labels, annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'kujira.io/simulated': 'true' } },
      spec: { podCIDR: `${n.cidrPrefix}.0/24`, podCIDRs: [`${n.cidrPrefix}.0/24`] },
    };
  }

  function nodeStatus(n: SimNode, old?: core.NodeStatus): core.NodeStatus {
    const t = rfc3339(now());
    const cond = (type: string, status: string, reason: string, message: string): core.NodeCondition => {
      const prev = findCondition(old?.conditions, type);
      return { type, status, reason, message, lastHeartbeatTime: t, lastTransitionTime: prev?.status === status && prev.lastTransitionTime ? prev.lastTransitionTime : t };
    };
    const resources = { cpu: capacity.cpu, memory: capacity.memory, pods: capacity.pods, 'ephemeral-storage': '100Gi' };
    const bootId = `${n.index}`.padStart(8, '0');
    return {
      capacity: resources,
      allocatable: resources,
      conditions: [
        cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ],
      addresses: [
        { type: 'InternalIP', address: '127.0.0.1' },
        { type: 'Hostname', address: n.name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: kubelet?.portOf(n.name) ?? 0 } },
      nodeInfo: {
        machineID: `kujirasim${bootId}`,
        systemUUID: `kujira-sim-${bootId}`,
        bootID: `kujira-sim-boot-${bootId}`,
        kernelVersion: 'simulated',
        osImage: 'kujira simulated node',
        containerRuntimeVersion: 'kujira-sim://0.1.0',
        kubeletVersion: opts.kubeletVersion ?? 'v1.32.0',
        kubeProxyVersion: '',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    };
  }

  /** PUT the node's status, re-reading it on a conflict. */
  async function postStatus(n: SimNode, known?: core.Node): Promise<void> {
    let current = known ?? nodeInformer.cache.get(n.name) ?? (await nodesApi.get(undefined, n.name));
    for (let attempt = 0; ; attempt++) {
      try {
        await nodesApi.updateStatus(undefined, { ...current, status: nodeStatus(n, current.status) });
        return;
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 409) || attempt >= 4) throw err;
        current = await nodesApi.get(undefined, n.name);
      }
    }
  }

  async function register(n: SimNode): Promise<void> {
    let node: core.Node;
    try {
      node = await nodesApi.create(undefined, nodeObject(n));
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 409)) throw err;
      node = await nodesApi.get(undefined, n.name);
      const want = nodeObject(n);
      node = await nodesApi.update(undefined, { ...node, metadata: { ...node.metadata, labels: { ...node.metadata?.labels, ...want.metadata?.labels } } });
    }
    n.uid = node.metadata?.uid;
    n.stopped = node.metadata?.annotations?.[ANNOTATION_NODE_STOPPED] === 'true';
    await postStatus(n, node);
    if (!n.stopped) await renewLease(n);
  }

  function leaseObject(n: SimNode): coordination.Lease {
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: n.name,
        namespace: NODE_LEASE_NAMESPACE,
        ...(n.uid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: n.name, uid: n.uid }] } : {}),
      },
      spec: { holderIdentity: n.name, leaseDurationSeconds, renewTime: microTime(now()) },
    };
  }

  async function renewLease(n: SimNode): Promise<void> {
    const renewTime = microTime(now());
    if (n.lease) {
      try {
        n.lease = await leasesApi.update(NODE_LEASE_NAMESPACE, { ...n.lease, spec: { ...n.lease.spec, renewTime, holderIdentity: n.name, leaseDurationSeconds } });
        return;
      } catch (err) {
        if (!(err instanceof ApiError && (err.code === 409 || err.code === 404))) throw err;
        n.lease = undefined;
      }
    }
    try {
      n.lease = await leasesApi.create(NODE_LEASE_NAMESPACE, leaseObject(n));
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 409)) throw err;
      const current = await leasesApi.get(NODE_LEASE_NAMESPACE, n.name);
      n.lease = await leasesApi.update(NODE_LEASE_NAMESPACE, { ...current, spec: { ...current.spec, renewTime, holderIdentity: n.name, leaseDurationSeconds } });
    }
  }

  /** The node lifecycle controller marked us not Ready while we were alive: say Ready again. */
  function repairIfNeeded(n: SimNode, node: core.Node): void {
    if (n.stopped || n.repairing || stopped) return;
    if (findCondition(node.status?.conditions, 'Ready')?.status === 'True') return;
    n.repairing = true;
    void track(writeLimit(() => postStatus(n)))
      .catch(onError)
      .finally(() => (n.repairing = false));
  }

  let leaseTimer: { cancel(): void } | undefined;
  const tickMs = Math.max(20, Math.min(1000, Math.floor(renewMs / 10)));
  function leaseTick(): void {
    if (stopped) return;
    const t = now();
    for (const n of nodes.values()) {
      if (n.renewAt > t) continue;
      n.renewAt += renewMs;
      if (n.renewAt <= t) n.renewAt = t + renewMs;
      if (n.stopped) continue;
      void track(writeLimit(() => renewLease(n))).catch(onError);
    }
    leaseTimer = baseClock.setTimer(leaseTick, tickMs);
  }

  function setStopped(name: string, value: boolean): void {
    const n = nodes.get(name);
    if (!n || n.stopped === value) return;
    n.stopped = value;
    if (value) return;
    // Back from the dead: heartbeat now, say Ready, catch up on every pod.
    n.renewAt = now() + renewMs;
    void track(
      writeLimit(async () => {
        await renewLease(n);
        await postStatus(n);
      }),
    ).catch(onError);
    for (const pod of podInformer.cache.byIndex(NODE_NAME_INDEX, name)) markDirty(objectKey(pod));
  }

  function logLines(ns: string, podName: string, container: string): string[] | undefined {
    const pod = podInformer.cache.getByName(ns, podName);
    if (!pod?.spec?.nodeName || !nodes.has(pod.spec.nodeName)) return undefined;
    const spec = [...(pod.spec.initContainers ?? []), ...(pod.spec.containers ?? [])].find((c) => c.name === container);
    if (!spec) return undefined;
    const st = podStates.get(objectKey(pod));
    const mem = st?.memory?.containers.find((c) => c.name === container);
    const started = mem?.startedAt ?? st?.memory?.acceptedAt ?? now();
    const ts = (ms: number): string => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
    return [
      `${ts(started)} kujira-sim: container ${container} (image ${spec.image ?? ''}) started on node ${pod.spec.nodeName}`,
      `${ts(started)} kujira-sim: pod ${ns}/${podName} ip ${st?.ip ?? ''}`,
      `${ts(Math.max(started, now()))} kujira-sim: simulated container running, restartCount ${mem?.restartCount ?? 0}`,
    ];
  }

  function usage(podKey: string): ContainerUsage[] | undefined {
    const pod = podInformer.cache.get(podKey);
    const st = podStates.get(podKey);
    if (!pod || !st?.memory) return undefined;
    const b = behaviourOf(pod, { startLatencyMs });
    return st.memory.containers
      .filter((c) => c.startedAt !== undefined)
      .map((c) => ({ name: c.name, cpu: b.cpuMilli ?? DEFAULT_USAGE_CPU, memory: b.memoryBytes ?? DEFAULT_USAGE_MEMORY }));
  }

  /** The kubelet Summary API of one node: every running container's usage, and the node's total. */
  function summary(nodeName: string): unknown {
    const t = now();
    const time = new Date(t).toISOString();
    const n = nodes.get(nodeName);
    let cpuMilli = NODE_BASE_CPU;
    let memory = NODE_BASE_MEMORY;
    const pods: unknown[] = [];
    if (n && !n.stopped) {
      for (const pod of podInformer.cache.byIndex(NODE_NAME_INDEX, nodeName)) {
        const key = objectKey(pod);
        const containers = usage(key);
        if (!containers || containers.length === 0) continue;
        const st = podStates.get(key);
        const start = st?.memory ? new Date(st.memory.acceptedAt).toISOString() : time;
        pods.push({
          podRef: { name: pod.metadata?.name, namespace: pod.metadata?.namespace, uid: pod.metadata?.uid },
          startTime: start,
          containers: containers.map((c) => ({
            name: c.name,
            startTime: start,
            cpu: { time, usageNanoCores: c.cpu * 1e6 },
            memory: { time, workingSetBytes: c.memory, usageBytes: c.memory },
          })),
        });
        for (const c of containers) {
          cpuMilli += c.cpu;
          memory += c.memory;
        }
      }
    }
    return {
      node: { nodeName, startTime: new Date(startedAt).toISOString(), cpu: { time, usageNanoCores: cpuMilli * 1e6 }, memory: { time, workingSetBytes: memory, usageBytes: memory } },
      pods,
    };
  }

  // ---- wiring ---------------------------------------------------------------------------

  const onPod = (pod: core.Pod): void => {
    const nodeName = pod.spec?.nodeName;
    if (nodeName && nodes.has(nodeName)) markDirty(objectKey(pod));
  };
  podInformer.addEventHandler({
    onAdd: onPod,
    onUpdate: (_old, pod) => onPod(pod),
    onDelete: (obj) => {
      const pod = finalState(obj);
      if (pod.spec?.nodeName && nodes.has(pod.spec.nodeName)) forgetPod(objectKey(pod));
    },
  });
  const onNode = (node: core.Node): void => {
    const n = nodes.get(node.metadata?.name ?? '');
    if (!n) return;
    setStopped(n.name, node.metadata?.annotations?.[ANNOTATION_NODE_STOPPED] === 'true');
    repairIfNeeded(n, node);
  };
  nodeInformer.addEventHandler({ onAdd: onNode, onUpdate: (_old, node) => onNode(node) });

  const ready = (async () => {
    if (opts.kubeletEndpoints ?? true) {
      try {
        kubelet = await startKubeletEndpoints(nodeNames, { logs: logLines, summary });
      } catch (err) {
        onError(new Error(`simulated nodes serve no logs or stats: ${err instanceof Error ? err.message : String(err)}`, { cause: err }));
      }
    }
    try {
      await args.client.resource(NAMESPACES).create(undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NODE_LEASE_NAMESPACE } });
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 409)) onError(err);
    }
    await Promise.all([...nodes.values()].map((n) => writeLimit(() => register(n))));
    if (stopped) return;
    factory.start();
    await factory.waitForSync();
    leaseTimer = baseClock.setTimer(leaseTick, tickMs);
  })();
  ready.catch(onError);

  return {
    nodeNames,
    ready,
    setStopped,
    usage,
    async stop() {
      stopped = true;
      leaseTimer?.cancel();
      wakeTimer?.cancel();
      await ready.catch(() => undefined);
      while (inflightWork.size > 0) await Promise.allSettled([...inflightWork]);
      await kubelet?.close();
      if (ownFactory) await factory.stop();
    },
  };
}

/** Two statuses this node rendered (same construction, so same key order): equal when their JSON is. */
function sameRendering(a: core.PodStatus, b: core.PodStatus): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/** Compares statuses ignoring key order and the server's null-vs-absent differences. */
function sameStatus(a: core.PodStatus | undefined, b: core.PodStatus): boolean {
  return isDeepStrictEqual(normalize(a ?? {}), normalize(b));
}

function normalize(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalize);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x === null || x === undefined) continue;
      out[k] = normalize(x);
    }
    return out;
  }
  return v;
}


