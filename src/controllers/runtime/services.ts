// What both the endpoints and the endpointslice controllers ask of a Service and its pods:
// which pods it selects, whether a pod belongs among its endpoints, and which port a
// Service port reaches on a pod (a named targetPort resolves against the pod's container ports).
import type { core, discovery } from '../../api/types.js';
import { deepEqual } from '../../api/equal.js';
import { finalState, objectKey, type DeletedFinalStateUnknown, type Informer, type ResourceType, type WorkQueue } from '../../client/index.js';
import { isPodReady } from './pods.js';

/** discovery.k8s.io/v1 endpointslices on the wire (the client's list of well-known kinds lacks it). */
export const ENDPOINTSLICES: ResourceType<discovery.EndpointSlice> = Object.freeze({
  group: 'discovery.k8s.io',
  version: 'v1',
  resource: 'endpointslices',
  kind: 'EndpointSlice',
  namespaced: true,
});

type Pod = core.Pod;
type Service = core.Service;

/** Set on Endpoints and EndpointSlices of headless Services. */
export const HEADLESS_LABEL = 'service.kubernetes.io/headless';

/** A Service's selector as Kubernetes reads it for endpoints: an empty one selects nothing (no management). */
export function serviceSelects(svc: Service, pod: Pod): boolean {
  const sel = svc.spec?.selector;
  if (!sel || Object.keys(sel).length === 0) return false;
  if ((pod.metadata?.namespace ?? '') !== (svc.metadata?.namespace ?? '')) return false;
  const labels = pod.metadata?.labels ?? {};
  return Object.entries(sel).every(([k, v]) => labels[k] === v);
}

/** Whether the endpoints controllers manage this Service's endpoints at all. */
export function managesEndpoints(svc: Service): boolean {
  return Object.keys(svc.spec?.selector ?? {}).length > 0 && svc.spec?.type !== 'ExternalName';
}

/**
 * Kubernetes' ShouldPodBeInEndpoints: a pod with an IP that has not finished for good (a pod that
 * will never run again is out; one that may restart stays), and, unless terminating pods are
 * wanted, one not being deleted.
 */
export function shouldPodBeInEndpoints(pod: Pod, includeTerminating: boolean): boolean {
  const phase = pod.status?.phase;
  const restart = pod.spec?.restartPolicy ?? 'Always';
  if (restart === 'Never' && (phase === 'Failed' || phase === 'Succeeded')) return false;
  if (restart === 'OnFailure' && phase === 'Succeeded') return false;
  if (!pod.status?.podIP) return false;
  if (!includeTerminating && pod.metadata?.deletionTimestamp) return false;
  return true;
}

/**
 * The port a Service port reaches on `pod`: a number as given, a name looked up among the
 * containers' ports of the same protocol; undefined when the pod has no such port.
 */
export function targetPortOn(pod: Pod, port: core.ServicePort): number | undefined {
  const target = port.targetPort ?? port.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  const protocol = port.protocol ?? 'TCP';
  for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
    for (const cp of c.ports ?? []) if (cp.name === target && (cp.protocol ?? 'TCP') === protocol) return cp.containerPort;
  }
  return undefined;
}

/** The DNS hostname a pod has under a Service: its spec.hostname when its subdomain is the Service. */
export function podHostname(pod: Pod, svc: Service): string | undefined {
  const h = pod.spec?.hostname;
  return h && pod.spec?.subdomain === svc.metadata?.name && pod.metadata?.namespace === svc.metadata?.namespace ? h : undefined;
}

export function podReference(pod: Pod): core.ObjectReference {
  return { kind: 'Pod', namespace: pod.metadata?.namespace, name: pod.metadata?.name, uid: pod.metadata?.uid };
}

export { isPodReady };

/**
 * The handlers both the endpoints and the endpointslice controllers need: a Service's key is queued when
 * it changes, and when a pod it selects (or selected, before a relabelling) changes.
 */
export function queueServicesOnChange(services: Informer<Service>, pods: Informer<Pod>, queue: WorkQueue<string>): void {
  const queueSelecting = (pod: Pod) => {
    for (const svc of services.cache.listInNamespace(pod.metadata?.namespace ?? '')) {
      if (serviceSelects(svc, pod)) queue.add(objectKey(svc));
    }
  };
  services.addEventHandler({
    onAdd: (svc) => queue.add(objectKey(svc)),
    onUpdate: (_old, svc) => queue.add(objectKey(svc)),
    onDelete: (svc) => queue.add(objectKey(finalState(svc))),
  });
  pods.addEventHandler({
    onAdd: (pod) => queueSelecting(pod),
    onUpdate: (old, pod) => {
      if (old.metadata?.resourceVersion === pod.metadata?.resourceVersion) return;
      queueSelecting(pod);
      // A relabelled pod leaves the Services that selected it.
      if (!deepEqual(old.metadata?.labels, pod.metadata?.labels)) queueSelecting(old);
    },
    onDelete: (pod) => queueSelecting(finalState(pod as Pod | DeletedFinalStateUnknown<Pod>)),
  });
}

/** The time of the pod or Service change behind an Endpoints/EndpointSlice write (kube-proxy's latency metric reads it). */
export const LAST_CHANGE_TRIGGER_TIME_ANNOTATION = 'endpoints.kubernetes.io/last-change-trigger-time';

/** What the trigger-time tracker remembers of one Service from its previous sync (times in ms). */
export interface TriggerTimeState {
  serviceTime: number;
  podTimes: ReadonlyMap<string, number>;
}

function parseTime(t: string | undefined): number {
  const ms = t ? Date.parse(t) : NaN;
  return Number.isNaN(ms) ? 0 : ms;
}

/**
 * Kubernetes' TriggerTimeTracker, as a pure step: a pod's trigger time is its Ready condition's
 * lastTransitionTime, the Service's is its creationTimestamp (there is no "last updated" to read).
 * A Service seen for the first time answers its creation time; later, the earliest trigger time
 * that moved since the previous sync, or undefined (no annotation) when none did.
 */
export function computeLastChangeTriggerTime(
  prev: TriggerTimeState | undefined,
  svc: Service,
  pods: readonly Pod[],
): { time: number | undefined; state: TriggerTimeState } {
  let earliest: number | undefined;
  const podTimes = new Map<string, number>();
  for (const pod of pods) {
    if (!serviceSelects(svc, pod)) continue;
    const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
    const t = parseTime(ready?.lastTransitionTime);
    if (t === 0) continue;
    const name = pod.metadata?.name ?? '';
    podTimes.set(name, t);
    if (t > (prev?.podTimes.get(name) ?? 0)) earliest = Math.min(earliest ?? t, t);
  }
  const serviceTime = parseTime(svc.metadata?.creationTimestamp);
  if (serviceTime > (prev?.serviceTime ?? 0)) earliest = Math.min(earliest ?? serviceTime, serviceTime);
  const state = { serviceTime, podTimes };
  if (!prev) return { time: serviceTime === 0 ? undefined : serviceTime, state };
  return { time: earliest, state };
}

/** A time as Go's RFC3339Nano writes it in UTC: fractional seconds only when non-zero, trailing zeros dropped. */
export function formatTriggerTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d*?)0*Z$/, (_m, frac: string) => (frac ? `.${frac}Z` : 'Z'));
}

/** Annotations with the trigger time set, or removed when there is none. */
export function withTriggerTime(annotations: Record<string, string> | undefined, time: number | undefined): Record<string, string> {
  const out = { ...(annotations ?? {}) };
  if (time === undefined) delete out[LAST_CHANGE_TRIGGER_TIME_ANNOTATION];
  else out[LAST_CHANGE_TRIGGER_TIME_ANNOTATION] = formatTriggerTime(time);
  return out;
}

/** Per-Service trigger-time memory for one controller; forgotten when the Service goes. */
export class TriggerTimeTracker {
  private readonly states = new Map<string, TriggerTimeState>();

  compute(key: string, svc: Service, pods: readonly Pod[]): number | undefined {
    const { time, state } = computeLastChangeTriggerTime(this.states.get(key), svc, pods);
    this.states.set(key, state);
    return time;
  }

  forget(key: string): void {
    this.states.delete(key);
  }
}
