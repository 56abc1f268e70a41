// What the endpointslice controller writes for one Service, decided from the Service, its pods
// and the slices it already manages. Endpoints that reach the same ports share slices of at most
// maxEndpointsPerSlice (100, Kubernetes' default); an endpoint stays in the slice it is in, new
// ones fill slices with room before new slices are made, and a Service with no endpoints keeps
// one empty placeholder slice, as Kubernetes does.
import { compareStrings } from '../../api/compare.js';
import type { core, discovery, OwnerReference } from '../../api/types.js';
import { deepEqual } from '../../api/equal.js';
import { HEADLESS_LABEL, isPodReady, podHostname, podReference, serviceSelects, shouldPodBeInEndpoints, targetPortOn, withTriggerTime } from '../runtime/services.js';

type Pod = core.Pod;
type Service = core.Service;
type Endpoint = discovery.Endpoint;
type EndpointPort = discovery.EndpointPort;
type EndpointSlice = discovery.EndpointSlice;

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const CONTROLLER_NAME = 'endpointslice-controller.k8s.io';
export const DEFAULT_MAX_ENDPOINTS_PER_SLICE = 100;

export interface SlicePlan {
  create: EndpointSlice[];
  update: EndpointSlice[];
  delete: EndpointSlice[];
}

/** Kubernetes' podToEndpoint: ready only when serving and not terminating (or publishNotReadyAddresses). */
export function podToEndpoint(pod: Pod, svc: Service): Endpoint {
  const serving = isPodReady(pod);
  const terminating = !!pod.metadata?.deletionTimestamp;
  const ready = svc.spec?.publishNotReadyAddresses === true || (serving && !terminating);
  const ep: Endpoint = { addresses: [pod.status!.podIP!], conditions: { ready, serving, terminating } };
  const hostname = podHostname(pod, svc);
  if (hostname) ep.hostname = hostname;
  if (pod.spec?.nodeName) ep.nodeName = pod.spec.nodeName;
  ep.targetRef = podReference(pod);
  return ep;
}

/** The slice ports a pod reaches (a named port the pod lacks is left out). */
export function slicePorts(pod: Pod, svc: Service): EndpointPort[] {
  const out: EndpointPort[] = [];
  for (const sp of svc.spec?.ports ?? []) {
    const port = targetPortOn(pod, sp);
    if (port === undefined) continue;
    const p: EndpointPort = { name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP' };
    if (sp.appProtocol) p.appProtocol = sp.appProtocol;
    out.push(p);
  }
  return out;
}

function portsKey(ports: EndpointPort[] | undefined): string {
  return JSON.stringify((ports ?? []).map((p) => [p.name ?? '', p.port ?? null, p.protocol ?? 'TCP', p.appProtocol ?? '']).sort());
}

function endpointKey(e: Endpoint): string {
  return e.targetRef?.uid ?? e.addresses.join(',');
}

/** The labels every slice of the Service carries: the Service's own, ours, the headless marker. */
export function sliceLabels(svc: Service): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(svc.metadata?.labels ?? {})) if (k !== SERVICE_NAME_LABEL && k !== MANAGED_BY_LABEL && k !== HEADLESS_LABEL) labels[k] = v;
  labels[SERVICE_NAME_LABEL] = svc.metadata?.name ?? '';
  labels[MANAGED_BY_LABEL] = CONTROLLER_NAME;
  if (svc.spec?.clusterIP === 'None') labels[HEADLESS_LABEL] = '';
  return labels;
}

export function serviceOwnerRef(svc: Service): OwnerReference {
  return { apiVersion: 'v1', kind: 'Service', name: svc.metadata?.name ?? '', uid: svc.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true };
}

/** The endpoints each port set should have: port-set key → ports and endpoints (sorted by pod). */
export function desiredEndpointsByPorts(svc: Service, pods: Pod[]): Map<string, { ports: EndpointPort[]; endpoints: Endpoint[] }> {
  const out = new Map<string, { ports: EndpointPort[]; endpoints: Endpoint[] }>();
  for (const pod of pods) {
    if (!serviceSelects(svc, pod) || !shouldPodBeInEndpoints(pod, true)) continue;
    // IPv4 slices only: this cluster is single-stack.
    if (pod.status!.podIP!.includes(':')) continue;
    const ports = slicePorts(pod, svc);
    const key = portsKey(ports);
    let group = out.get(key);
    if (!group) out.set(key, (group = { ports, endpoints: [] }));
    group.endpoints.push(podToEndpoint(pod, svc));
  }
  for (const g of out.values()) g.endpoints.sort((a, b) => compareStrings(a.targetRef?.name ?? '', b.targetRef?.name ?? ''));
  return out;
}

function newSlice(svc: Service, ports: EndpointPort[], endpoints: Endpoint[]): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { generateName: `${svc.metadata?.name}-`, namespace: svc.metadata?.namespace, labels: sliceLabels(svc), ownerReferences: [serviceOwnerRef(svc)] },
    addressType: 'IPv4',
    endpoints,
    ports,
  };
}

/**
 * Plans the writes that bring `existing` (the slices this controller manages for the Service)
 * to what the Service and pods want. Every slice written carries the trigger time (ms; the
 * annotation is removed from a written slice when there is none), as Kubernetes' controller does.
 */
export function planSlices(svc: Service, pods: Pod[], existing: EndpointSlice[], maxPerSlice = DEFAULT_MAX_ENDPOINTS_PER_SLICE, triggerTime?: number): SlicePlan {
  const plan: SlicePlan = { create: [], update: [], delete: [] };
  const desired = desiredEndpointsByPorts(svc, pods);
  const labels = sliceLabels(svc);
  const ownerRef = serviceOwnerRef(svc);
  const sorted = [...existing].sort((a, b) => compareStrings(a.metadata?.name ?? '', b.metadata?.name ?? ''));
  const keptSlices: EndpointSlice[] = [];

  for (const [key, group] of desired) {
    const want = new Map(group.endpoints.map((e) => [endpointKey(e), e]));
    const placed = new Set<string>();
    const slices: EndpointSlice[] = [];
    // Endpoints stay where they are (refreshed); slices of this port set with room take new ones.
    for (const s of sorted) {
      if (s.addressType !== 'IPv4' || portsKey(s.ports ?? undefined) !== key) continue;
      const kept: Endpoint[] = [];
      for (const e of s.endpoints ?? []) {
        const now = want.get(endpointKey(e));
        if (!now || placed.has(endpointKey(now)) || kept.length >= maxPerSlice) continue;
        placed.add(endpointKey(now));
        kept.push(now);
      }
      slices.push({ ...structuredClone(s), endpoints: kept });
    }
    const fresh = group.endpoints.filter((e) => !placed.has(endpointKey(e)));
    for (const s of slices) {
      while (s.endpoints.length < maxPerSlice && fresh.length > 0) s.endpoints.push(fresh.shift()!);
    }
    for (let i = 0; i < fresh.length; i += maxPerSlice) plan.create.push(newSlice(svc, group.ports, fresh.slice(i, i + maxPerSlice)));
    for (const s of slices) {
      if (s.endpoints.length === 0) continue;
      keptSlices.push(s);
      s.endpoints.sort((a, b) => compareStrings(a.targetRef?.name ?? '', b.targetRef?.name ?? ''));
    }
  }

  const keptNames = new Set(keptSlices.map((s) => s.metadata?.name));
  let leftovers = sorted.filter((s) => !keptNames.has(s.metadata?.name));
  // No endpoints at all: one empty placeholder slice stands for the Service.
  if (desired.size === 0 || [...desired.values()].every((g) => g.endpoints.length === 0)) {
    const placeholderPorts: EndpointPort[] = [];
    const reuse = leftovers[0];
    if (reuse) {
      keptSlices.push({ ...structuredClone(reuse), endpoints: [], ports: placeholderPorts });
      leftovers = leftovers.slice(1);
    } else {
      plan.create.push(newSlice(svc, placeholderPorts, []));
    }
  }
  for (const s of keptSlices) {
    const before = existing.find((e) => e.metadata?.name === s.metadata?.name)!;
    s.metadata = { ...s.metadata, labels: { ...labels } };
    if (!(s.metadata.ownerReferences ?? []).some((r) => r.uid === ownerRef.uid)) s.metadata.ownerReferences = [ownerRef];
    if (!deepEqual(s.endpoints, before.endpoints ?? []) || !deepEqual(s.ports ?? [], before.ports ?? []) || !deepEqual(s.metadata.labels, before.metadata?.labels ?? {}) || !deepEqual(s.metadata.ownerReferences, before.metadata?.ownerReferences)) {
      plan.update.push(s);
    }
  }
  plan.delete.push(...leftovers);
  for (const s of [...plan.create, ...plan.update]) {
    const annotations = withTriggerTime(s.metadata?.annotations, triggerTime);
    s.metadata = { ...s.metadata };
    if (Object.keys(annotations).length > 0) s.metadata.annotations = annotations;
    else delete s.metadata.annotations;
  }
  return plan;
}
