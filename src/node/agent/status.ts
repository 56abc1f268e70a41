// Pod status from what the agent observed (pure): phase, conditions, container statuses, as the kubelet reports them.
import type { core } from '../../api/types.js';
import type { ContainerStatusInfo } from '../../runtime/runtime.js';
import { qosClass } from '../shared/qos.js';

export interface ContainerObservation {
  name: string;
  /** The newest attempt the runtime knows, and the one before (for lastState / logs --previous). */
  current?: ContainerStatusInfo;
  previous?: ContainerStatusInfo;
  /** A waiting reason the agent decided (ErrImagePull, CrashLoopBackOff, CreateContainerError, ...). */
  waiting?: { reason: string; message?: string };
  /** Readiness probe result (true when there is no readiness probe and the container runs). */
  ready: boolean;
  /** Startup probe passed (true when there is none and the container runs). */
  started: boolean;
}

export interface PodObservation {
  pod: core.Pod;
  sandboxReady: boolean;
  podIPs: string[];
  hostIP: string;
  initContainers: ContainerObservation[];
  containers: ContainerObservation[];
  now: number;
}

export const CONTAINER_ID_PREFIX = 'containerd://';

export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Docker-style image reference normalisation: nginx → docker.io/library/nginx:latest. */
export function normalizeImage(image: string): string {
  let name = image;
  const firstSlash = name.indexOf('/');
  const first = firstSlash < 0 ? '' : name.slice(0, firstSlash);
  if (firstSlash < 0) name = `docker.io/library/${name}`;
  else if (!first.includes('.') && !first.includes(':') && first !== 'localhost') name = `docker.io/${name}`;
  const lastSlash = name.lastIndexOf('/');
  if (!name.slice(lastSlash).includes(':') && !name.includes('@')) name += ':latest';
  return name;
}

function terminated(c: ContainerStatusInfo): core.ContainerStateTerminated {
  return {
    exitCode: c.exitCode,
    reason: c.reason || (c.exitCode === 0 ? 'Completed' : 'Error'),
    ...(c.message ? { message: c.message } : {}),
    startedAt: c.startedAt ? rfc3339(c.startedAt) : undefined,
    finishedAt: c.finishedAt ? rfc3339(c.finishedAt) : undefined,
    containerID: CONTAINER_ID_PREFIX + c.id,
  };
}

export function containerStatus(spec: core.Container, obs: ContainerObservation, waitingDefault: string): core.ContainerStatus {
  const cur = obs.current;
  let state: core.ContainerState;
  let lastState: core.ContainerState = {};
  if (cur?.state === 'running') {
    state = { running: { startedAt: rfc3339(cur.startedAt) } };
    if (obs.previous && obs.previous.state === 'exited') lastState = { terminated: terminated(obs.previous) };
  } else if (cur?.state === 'exited') {
    if (obs.waiting) {
      // Exited and waiting to be started again (back-off, or the next attempt could not be created).
      state = { waiting: { reason: obs.waiting.reason, ...(obs.waiting.message ? { message: obs.waiting.message } : {}) } };
      lastState = { terminated: terminated(cur) };
    } else {
      state = { terminated: terminated(cur) };
      if (obs.previous && obs.previous.state === 'exited') lastState = { terminated: terminated(obs.previous) };
    }
  } else {
    const reason = obs.waiting?.reason ?? waitingDefault;
    state = { waiting: { reason, ...(obs.waiting?.message ? { message: obs.waiting.message } : {}) } };
    if (obs.previous && obs.previous.state === 'exited') lastState = { terminated: terminated(obs.previous) };
  }
  const running = cur?.state === 'running';
  const status: core.ContainerStatus = {
    name: spec.name,
    state,
    lastState,
    ready: running && obs.ready,
    restartCount: cur ? cur.attempt : obs.previous ? obs.previous.attempt + 1 : 0,
    // A container the runtime never created shows the image as the spec names it (the kubelet's default status);
    // once created, as the runtime resolved it.
    image: cur ? normalizeImage(spec.image ?? '') : spec.image ?? '',
    imageID: cur?.imageRef ?? '',
    started: running && obs.started,
  };
  if (cur) status.containerID = CONTAINER_ID_PREFIX + cur.id;
  return status;
}

type Phase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';

/** The kubelet's phase rules over container statuses (init containers first). */
export function podPhase(pod: core.Pod, init: core.ContainerStatus[], main: core.ContainerStatus[]): Phase {
  const policy = pod.spec?.restartPolicy ?? 'Always';
  const initFailedForGood = init.some((s) => s.state?.terminated && s.state.terminated.exitCode !== 0) && policy === 'Never';
  if (initFailedForGood) return 'Failed';
  const initDone = init.every((s) => s.state?.terminated?.exitCode === 0);
  if (!initDone) return 'Pending';
  let running = 0, waiting = 0, stopped = 0, succeeded = 0, unknown = 0;
  for (const s of main) {
    if (s.state?.running) running++;
    else if (s.state?.terminated) { stopped++; if (s.state.terminated.exitCode === 0) succeeded++; }
    else if (s.state?.waiting) { if (s.lastState?.terminated) stopped++; else waiting++; }
    else unknown++;
  }
  if (waiting > 0) return 'Pending';
  if (running > 0 && unknown === 0) return 'Running';
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'OnFailure') return 'Running';
    return 'Failed';
  }
  return 'Pending';
}

function condition(type: string, ok: boolean, reason: string | undefined, message: string | undefined, previous: core.PodCondition[] | undefined, now: number): core.PodCondition {
  const status = ok ? 'True' : 'False';
  const before = previous?.find((c) => c.type === type);
  const lastTransitionTime = before && before.status === status && before.lastTransitionTime ? before.lastTransitionTime : rfc3339(now);
  return {
    type, status, lastProbeTime: null as unknown as undefined, lastTransitionTime,
    ...(!ok && reason ? { reason } : {}), ...(!ok && message ? { message } : {}),
  };
}

const listNames = (names: string[]) => `[${names.join(' ')}]`;

export function computePodStatus(obs: PodObservation): core.PodStatus {
  const { pod, now } = obs;
  const old = pod.status ?? {};
  const initSpecs = pod.spec?.initContainers ?? [];
  const specs = pod.spec?.containers ?? [];
  const find = (list: ContainerObservation[], name: string): ContainerObservation => list.find((o) => o.name === name) ?? { name, ready: false, started: false };
  const initStatuses = initSpecs.map((c) => containerStatus(c, find(obs.initContainers, c.name), 'PodInitializing'));
  const initDone = initStatuses.every((s) => s.state?.terminated?.exitCode === 0);
  // As the kubelet: a pod with init containers shows its not-yet-created containers as PodInitializing even once the
  // init containers are done (kubectl then prints PodInitializing), one without as ContainerCreating.
  const statuses = specs.map((c) => containerStatus(c, find(obs.containers, c.name), initSpecs.length > 0 ? 'PodInitializing' : 'ContainerCreating'));
  // Init containers that completed count as ready (as the kubelet reports them).
  for (const s of initStatuses) if (s.state?.terminated?.exitCode === 0) s.ready = true;
  const phase = podPhase(pod, initStatuses, statuses);

  const unready = statuses.filter((s) => !s.ready).map((s) => s.name);
  const incomplete = initStatuses.filter((s) => !(s.state?.terminated?.exitCode === 0)).map((s) => s.name);
  const completed = phase === 'Succeeded' || phase === 'Failed';
  const containersReady = unready.length === 0 && !completed;
  const previous = old.conditions;
  const notReadyReason = completed ? 'PodCompleted' : 'ContainersNotReady';
  const notReadyMessage = completed ? undefined : `containers with unready status: ${listNames(unready)}`;
  const conditions: core.PodCondition[] = [
    condition('PodReadyToStartContainers', obs.sandboxReady, undefined, undefined, previous, now),
    condition('Initialized', initDone, completed ? 'PodCompleted' : 'ContainersNotInitialized',
      completed ? undefined : `containers with incomplete status: ${listNames(incomplete)}`, previous, now),
    condition('Ready', containersReady, notReadyReason, notReadyMessage, previous, now),
    condition('ContainersReady', containersReady, notReadyReason, notReadyMessage, previous, now),
  ];
  const scheduled = previous?.find((c) => c.type === 'PodScheduled');
  conditions.push(scheduled ?? condition('PodScheduled', true, undefined, undefined, previous, now));

  const status: core.PodStatus = {
    phase,
    conditions,
    hostIP: obs.hostIP,
    hostIPs: [{ ip: obs.hostIP }],
    startTime: old.startTime ?? rfc3339(now),
    containerStatuses: statuses,
    qosClass: qosClass(pod),
  };
  if (initSpecs.length) status.initContainerStatuses = initStatuses;
  if (obs.podIPs.length) {
    status.podIP = obs.podIPs[0];
    status.podIPs = obs.podIPs.map((ip) => ({ ip }));
  } else if (old.podIP) {
    // The sandbox is gone after the pod finished; the kubelet keeps reporting the IP it had.
    status.podIP = old.podIP;
    status.podIPs = old.podIPs;
  }
  return status;
}

/**
 * The status the kubelet posts on its first sync of a pod, before it creates the sandbox: Pending, nothing ready,
 * every container waiting ContainerCreating (PodInitializing, init containers included, when there are init containers),
 * with hostIP, startTime and qosClass.
 */
export function initialPodStatus(pod: core.Pod, hostIP: string, now: number): core.PodStatus {
  return computePodStatus({ pod, sandboxReady: false, podIPs: [], hostIP, initContainers: [], containers: [], now });
}

/** A node agent has reported this pod already (it set startTime): taking it again must rebuild from the runtime instead. */
export function reportedByNode(pod: core.Pod): boolean {
  return !!pod.status?.startTime;
}
