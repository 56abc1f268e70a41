// What a simulated node's pod does next: pure. The I/O layer keeps one PodMemory per
// pod, calls step() when the pod changes or its wake time comes, writes the status
// when it differs, and deletes the pod when told to.
//
// Worked example (restartPolicy Always, fail-liveness-after 10s, start-latency 0):
//   t=0 running → t=10 killed, restarted at once (restartCount 1) → t=20 killed,
//   CrashLoopBackOff for 10s → t=30 running (restartCount 2) → t=40 killed, back-off 20s …
import { createHash } from 'node:crypto';
import type { core } from '../../api/types.js';
import { findCondition, rfc3339, setCondition } from '../shared/conditions.js';
import {
  normalizeImage,
  notInitializedMessage,
  notReadyMessage,
  podPhase,
  type RestartPolicy,
  restartPolicyOf,
  shouldRestart,
} from '../shared/podstatus.js';
import { qosClass } from '../shared/qos.js';
import type { SimBehaviour } from './annotations.js';

export const BACKOFF_INITIAL_MS = 10_000;
export const BACKOFF_MAX_MS = 300_000;
export const LIVENESS_EXIT_CODE = 137;

/** Delay before restart number restartCount+1: the first is immediate, then 10s, 20s, 40s … capped at 5m. */
export function restartDelayMs(restartCount: number): number {
  if (restartCount <= 0) return 0;
  return Math.min(BACKOFF_INITIAL_MS * 2 ** (restartCount - 1), BACKOFF_MAX_MS);
}

export interface Termination {
  exitCode: number;
  reason: string;
  startedAt: number;
  finishedAt: number;
  instance: number;
}

export interface ContainerMemory {
  name: string;
  image: string;
  restartCount: number;
  /** When the next instance starts (while waiting). */
  startAt: number;
  /** Set while an instance runs. */
  startedAt?: number;
  /** Stopped for good (restartPolicy says no). */
  terminated?: Termination;
  /** The previous instance, shown as lastState. */
  last?: Termination;
}

export interface PodMemory {
  uid: string;
  acceptedAt: number;
  initDoneAt: number;
  initContainers: { name: string; image: string }[];
  containers: ContainerMemory[];
}

export interface NodeContext {
  hostIP: string;
  podIP: string;
  startLatencyMs: number;
  /** Upper bound on how long the simulated containers take to stop. */
  terminationMs: number;
}

export interface SimStep {
  memory: PodMemory;
  status: core.PodStatus;
  /** When to look at this pod again (absolute ms), if anything is still due. */
  wakeAt?: number;
  /** The pod finished terminating: delete it with grace period 0. */
  delete: boolean;
}

/** A pod seen for the first time (or after a restart of kujira: rebuilt from its status). */
export function newMemory(pod: core.Pod, b: SimBehaviour, now: number): PodMemory {
  const accepted = Date.parse(pod.status?.startTime ?? '') || now;
  const inits = (pod.spec?.initContainers ?? []).map((c) => ({ name: c.name, image: c.image ?? '' }));
  const initDoneAt = accepted + inits.length * b.startLatencyMs;
  const statuses = new Map((pod.status?.containerStatuses ?? []).map((s) => [s.name, s]));
  const containers = (pod.spec?.containers ?? []).map((c): ContainerMemory => {
    const m: ContainerMemory = { name: c.name, image: c.image ?? '', restartCount: 0, startAt: initDoneAt + b.startLatencyMs };
    const s = statuses.get(c.name);
    if (!s) return m;
    m.restartCount = s.restartCount ?? 0;
    const lt = s.lastState?.terminated;
    if (lt) m.last = termFrom(lt, m.restartCount - 1);
    if (s.state?.running) m.startedAt = Date.parse(s.state.running.startedAt ?? '') || now;
    else if (s.state?.terminated) m.terminated = termFrom(s.state.terminated, m.restartCount);
    else if (m.last) m.startAt = m.last.finishedAt + restartDelayMs(m.restartCount);
    return m;
  });
  return { uid: pod.metadata?.uid ?? '', acceptedAt: accepted, initDoneAt, initContainers: inits, containers };
}

function termFrom(t: core.ContainerStateTerminated, instance: number): Termination {
  return {
    exitCode: t.exitCode,
    reason: t.reason ?? (t.exitCode === 0 ? 'Completed' : 'Error'),
    startedAt: Date.parse(t.startedAt ?? '') || 0,
    finishedAt: Date.parse(t.finishedAt ?? '') || 0,
    instance,
  };
}

/** Moves every container through the transitions due by `now`; returns the next due time. */
export function advance(mem: PodMemory, b: SimBehaviour, policy: RestartPolicy, now: number): number | undefined {
  let wake: number | undefined;
  const due = (t: number): void => {
    if (t > now && (wake === undefined || t < wake)) wake = t;
  };
  for (const c of mem.containers) {
    for (;;) {
      if (c.terminated) break;
      if (c.startedAt === undefined) {
        if (now < c.startAt) {
          due(c.startAt);
          break;
        }
        c.startedAt = c.startAt;
        if (c.last) c.restartCount++;
        continue;
      }
      const dies = dieAfter(b);
      if (dies === undefined) {
        if (!b.neverReady) due(c.startedAt + (b.readyAfterMs.get(c.name) ?? 0));
        break;
      }
      const dieAt = c.startedAt + dies.afterMs;
      if (now < dieAt) {
        due(dieAt);
        if (!b.neverReady) due(c.startedAt + (b.readyAfterMs.get(c.name) ?? 0));
        break;
      }
      const t: Termination = { exitCode: dies.exitCode, reason: dies.exitCode === 0 ? 'Completed' : 'Error', startedAt: c.startedAt, finishedAt: dieAt, instance: c.restartCount };
      c.startedAt = undefined;
      if (shouldRestart(policy, t.exitCode)) {
        c.last = t;
        c.startAt = dieAt + restartDelayMs(c.restartCount);
      } else {
        c.terminated = t;
      }
    }
  }
  for (const i of mem.initContainers.keys()) due(mem.acceptedAt + (i + 1) * b.startLatencyMs);
  return wake;
}

function dieAfter(b: SimBehaviour): { afterMs: number; exitCode: number } | undefined {
  const live = b.failLivenessAfterMs;
  const exit = b.exitAfterMs;
  if (live === undefined && exit === undefined) return undefined;
  if (exit === undefined || (live !== undefined && live < exit)) return { afterMs: live!, exitCode: LIVENESS_EXIT_CODE };
  return { afterMs: exit, exitCode: b.exitCode };
}

/** Recent digests: a pod's status is rendered several times within moments, with the same IDs. */
const recentDigests = new Map<string, string>();
const MAX_RECENT_DIGESTS = 4096;

function hex(...parts: string[]): string {
  const input = parts.join('/');
  let digest = recentDigests.get(input);
  if (digest === undefined) {
    digest = createHash('sha256').update(input).digest('hex');
    if (recentDigests.size >= MAX_RECENT_DIGESTS) recentDigests.clear();
    recentDigests.set(input, digest);
  }
  return digest;
}

export function containerId(uid: string, name: string, instance: number): string {
  return `containerd://${hex(uid, name, String(instance))}`;
}

export function imageId(image: string): string {
  const normal = normalizeImage(image);
  const repo = normal.replace(/[:@][^/]*$/, '');
  return `${repo}@sha256:${hex(normal)}`;
}

function terminatedState(t: Termination, uid: string, name: string): core.ContainerStateTerminated {
  return {
    exitCode: t.exitCode,
    reason: t.reason,
    startedAt: rfc3339(t.startedAt),
    finishedAt: rfc3339(t.finishedAt),
    containerID: containerId(uid, name, t.instance),
  };
}

function isReady(c: ContainerMemory, b: SimBehaviour, now: number): boolean {
  return c.startedAt !== undefined && !b.neverReady && now >= c.startedAt + (b.readyAfterMs.get(c.name) ?? 0);
}

/** The PodStatus a kubelet would report for this memory at `now`. */
export function renderStatus(pod: core.Pod, mem: PodMemory, b: SimBehaviour, ctx: NodeContext, now: number): core.PodStatus {
  const uid = mem.uid;
  const initialized = now >= mem.initDoneAt;
  const initStatuses = mem.initContainers.map((c, i): core.ContainerStatus => {
    const startAt = mem.acceptedAt + i * b.startLatencyMs;
    const doneAt = mem.acceptedAt + (i + 1) * b.startLatencyMs;
    const base = { name: c.name, image: normalizeImage(c.image), imageID: '', restartCount: 0, lastState: {} };
    if (now >= doneAt) {
      return {
        ...base,
        imageID: imageId(c.image),
        containerID: containerId(uid, c.name, 0),
        ready: true,
        started: false,
        state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: rfc3339(startAt), finishedAt: rfc3339(doneAt), containerID: containerId(uid, c.name, 0) } },
      };
    }
    if (now >= startAt) {
      return { ...base, imageID: imageId(c.image), containerID: containerId(uid, c.name, 0), ready: false, started: true, state: { running: { startedAt: rfc3339(startAt) } } };
    }
    return { ...base, ready: false, started: false, state: { waiting: { reason: 'PodInitializing' } } };
  });
  const statuses = mem.containers.map((c): core.ContainerStatus => {
    const s: core.ContainerStatus = { name: c.name, image: normalizeImage(c.image), imageID: '', ready: false, restartCount: c.restartCount, started: false, state: {}, lastState: {} };
    if (c.last) s.lastState = { terminated: terminatedState(c.last, uid, c.name) };
    if (c.terminated) {
      s.state = { terminated: terminatedState(c.terminated, uid, c.name) };
      s.containerID = containerId(uid, c.name, c.terminated.instance);
      s.imageID = imageId(c.image);
    } else if (c.startedAt !== undefined) {
      s.state = { running: { startedAt: rfc3339(c.startedAt) } };
      s.containerID = containerId(uid, c.name, c.restartCount);
      s.imageID = imageId(c.image);
      s.started = true;
      s.ready = isReady(c, b, now);
    } else if (c.last) {
      const delay = restartDelayMs(c.restartCount);
      s.state = {
        waiting: {
          reason: 'CrashLoopBackOff',
          message: `back-off ${delay / 1000}s restarting failed container=${c.name} pod=${pod.metadata?.name}_${pod.metadata?.namespace}(${uid})`,
        },
      };
      s.imageID = imageId(c.image);
      s.containerID = containerId(uid, c.name, c.last.instance);
    } else {
      s.state = { waiting: { reason: initialized ? 'ContainerCreating' : 'PodInitializing' } };
    }
    return s;
  });

  const policy = restartPolicyOf(pod);
  const phase = podPhase(policy, initialized, statuses, mem.containers.length);
  const at = rfc3339(now);
  const unready = statuses.filter((s) => !s.ready).map((s) => s.name);
  const terminal = phase === 'Succeeded' || phase === 'Failed';
  let conditions: core.PodCondition[] = pod.status?.conditions ?? [];
  const put = (type: string, ok: boolean, reason?: string, message?: string): void => {
    const c: core.PodCondition = { type, status: ok ? 'True' : 'False', lastProbeTime: null as unknown as undefined, lastTransitionTime: at };
    if (!ok && reason) c.reason = reason;
    if (!ok && message) c.message = message;
    conditions = setCondition(conditions, c);
  };
  put('PodReadyToStartContainers', !terminal);
  put('Initialized', initialized, 'ContainersNotInitialized', notInitializedMessage(initStatuses.filter((s) => !s.state?.terminated).map((s) => s.name)));
  const ready = initialized && unready.length === 0;
  const readyReason = terminal ? 'PodCompleted' : 'ContainersNotReady';
  put('Ready', ready, readyReason, terminal ? undefined : notReadyMessage(unready));
  put('ContainersReady', ready, readyReason, terminal ? undefined : notReadyMessage(unready));
  if (!findCondition(conditions, 'PodScheduled')) put('PodScheduled', true);
  conditions = orderConditions(conditions);

  const status: core.PodStatus = {
    phase,
    conditions,
    hostIP: ctx.hostIP,
    hostIPs: [{ ip: ctx.hostIP }],
    podIP: ctx.podIP,
    podIPs: [{ ip: ctx.podIP }],
    startTime: rfc3339(mem.acceptedAt),
    containerStatuses: statuses,
    qosClass: qosClass(pod),
  };
  if (initStatuses.length > 0) status.initContainerStatuses = initStatuses;
  return status;
}

const CONDITION_ORDER = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'];

function orderConditions(list: core.PodCondition[]): core.PodCondition[] {
  const rank = (t: string): number => {
    const i = CONDITION_ORDER.indexOf(t);
    return i < 0 ? CONDITION_ORDER.length : i;
  };
  return [...list].sort((a, b) => rank(a.type) - rank(b.type));
}

/** When a terminating pod is removed: after min(grace period, the node's termination time) from the delete request. */
export function deleteDueAt(pod: core.Pod, terminationMs: number): number | undefined {
  const ts = pod.metadata?.deletionTimestamp;
  if (!ts) return undefined;
  const graceMs = (pod.metadata?.deletionGracePeriodSeconds ?? 30) * 1000;
  const requested = Date.parse(ts) - graceMs;
  return requested + Math.min(graceMs, terminationMs);
}

/** What a step decides before rendering: the advanced memory, the next wake-up, deletion, and the status when it is not rendered (a terminating pod keeps its own). */
export interface SimAdvance {
  memory: PodMemory;
  wakeAt?: number;
  delete: boolean;
  status?: core.PodStatus;
}

/** The first half of step(): advance the pod's containers to `now` and say when to come back; rendering is left to the caller (it may not need the status). */
export function advanceStep(pod: core.Pod, memory: PodMemory | undefined, b: SimBehaviour, ctx: NodeContext, now: number): SimAdvance {
  const mem = memory ?? newMemory(pod, b, now);
  const deleteAt = deleteDueAt(pod, ctx.terminationMs);
  const phaseNow = pod.status?.phase;
  if (deleteAt !== undefined) {
    const finished = phaseNow === 'Succeeded' || phaseNow === 'Failed';
    if (finished || now >= deleteAt) return { memory: mem, status: pod.status ?? {}, delete: true };
    return { memory: mem, status: pod.status ?? {}, wakeAt: deleteAt, delete: false };
  }
  const out: SimAdvance = { memory: mem, delete: false };
  const wake = advance(mem, b, restartPolicyOf(pod), now);
  if (wake !== undefined) out.wakeAt = wake;
  return out;
}

/** One step for one pod: advance its containers, render the status, say when to come back. */
export function step(pod: core.Pod, memory: PodMemory | undefined, b: SimBehaviour, ctx: NodeContext, now: number): SimStep {
  const a = advanceStep(pod, memory, b, ctx, now);
  const out: SimStep = { memory: a.memory, status: a.status ?? renderStatus(pod, a.memory, b, ctx, now), delete: a.delete };
  if (a.wakeAt !== undefined) out.wakeAt = a.wakeAt;
  return out;
}
