// What a Service's Endpoints object should hold, from the Service and the pods in its namespace:
// ready pods' IPs in subsets[].addresses, the others in notReadyAddresses (all of them in addresses
// with publishNotReadyAddresses), each with its node and a reference to the pod. Addresses that
// reach the same set of ports share one subset, as Kubernetes' RepackSubsets leaves them:
//
//   Service ports http→8080, metrics→"metrics"; pods a (ready, metrics=9090), b (not ready, 9090)
//   → [{ addresses: [a], notReadyAddresses: [b], ports: [http 8080, metrics 9090] }]
import { compareAddresses, compareStrings } from '../../api/compare.js';
import type { core } from '../../api/types.js';
import { deepEqual } from '../../api/equal.js';
import { HEADLESS_LABEL, isPodReady, podHostname, podReference, serviceSelects, shouldPodBeInEndpoints, targetPortOn, withTriggerTime } from '../runtime/services.js';

type Pod = core.Pod;
type Service = core.Service;
type EndpointAddress = core.EndpointAddress;
type EndpointPort = core.EndpointPort;
type EndpointSubset = core.EndpointSubset;
type Endpoints = core.Endpoints;

/** At most this many addresses (ready and not) in one Endpoints object, as Kubernetes caps them. */
export const MAX_ENDPOINTS_CAPACITY = 1000;
export const OVER_CAPACITY_ANNOTATION = 'endpoints.kubernetes.io/over-capacity';

export interface DesiredEndpoints {
  labels: Record<string, string>;
  subsets: EndpointSubset[];
}

function address(pod: Pod, svc: Service): EndpointAddress {
  const a: EndpointAddress = { ip: pod.status!.podIP! };
  const hostname = podHostname(pod, svc);
  if (hostname) a.hostname = hostname;
  if (pod.spec?.nodeName) a.nodeName = pod.spec.nodeName;
  a.targetRef = podReference(pod);
  return a;
}

function compareEndpointAddresses(a: EndpointAddress, b: EndpointAddress): number {
  // As Kubernetes orders them (LessEndpointAddress): the IP as a string, then the target UID.
  return compareStrings(a.ip, b.ip) || compareStrings(a.targetRef?.uid ?? '', b.targetRef?.uid ?? '');
}

function portKey(p: EndpointPort): string {
  return `${p.name ?? ''}/${p.port}/${p.protocol ?? 'TCP'}`;
}

/** Endpoints labels: the Service's, plus the headless marker for headless Services. */
export function endpointsLabels(svc: Service): Record<string, string> {
  const labels = { ...(svc.metadata?.labels ?? {}) };
  if (svc.spec?.clusterIP === 'None') labels[HEADLESS_LABEL] = '';
  else delete labels[HEADLESS_LABEL];
  return labels;
}

export function desiredEndpoints(svc: Service, pods: Pod[]): DesiredEndpoints {
  const publishNotReady = svc.spec?.publishNotReadyAddresses === true;
  // port key → the port and the addresses (with readiness) that reach it
  const byPort = new Map<string, { port: EndpointPort | undefined; addrs: Map<string, { addr: EndpointAddress; ready: boolean }> }>();
  const add = (port: EndpointPort | undefined, addr: EndpointAddress, ready: boolean) => {
    const key = port ? portKey(port) : '';
    let entry = byPort.get(key);
    if (!entry) byPort.set(key, (entry = { port, addrs: new Map() }));
    entry.addrs.set(`${addr.ip}/${addr.targetRef?.uid ?? ''}`, { addr, ready });
  };
  const ports = svc.spec?.ports ?? [];
  for (const pod of pods) {
    if (!serviceSelects(svc, pod) || !shouldPodBeInEndpoints(pod, publishNotReady)) continue;
    const ready = publishNotReady || isPodReady(pod);
    const addr = address(pod, svc);
    if (ports.length === 0) {
      // Headless Services without ports still list their pods.
      if (svc.spec?.clusterIP === 'None') add(undefined, addr, ready);
      continue;
    }
    for (const sp of ports) {
      const port = targetPortOn(pod, sp);
      if (port === undefined) continue;
      const ep: EndpointPort = { port, protocol: sp.protocol ?? 'TCP' };
      if (sp.name) ep.name = sp.name;
      if (sp.appProtocol) ep.appProtocol = sp.appProtocol;
      add(ep, addr, ready);
    }
  }
  // Ports reached by exactly the same addresses share a subset.
  const subsets = new Map<string, EndpointSubset>();
  for (const { port, addrs } of byPort.values()) {
    const members = [...addrs.values()].sort((x, y) => compareEndpointAddresses(x.addr, y.addr));
    const key = members.map((m) => `${m.addr.ip}/${m.addr.targetRef?.uid ?? ''}/${m.ready}`).join(',');
    let ss = subsets.get(key);
    if (!ss) {
      ss = {};
      const ready = members.filter((m) => m.ready).map((m) => m.addr);
      const notReady = members.filter((m) => !m.ready).map((m) => m.addr);
      if (ready.length) ss.addresses = ready;
      if (notReady.length) ss.notReadyAddresses = notReady;
      subsets.set(key, ss);
    }
    if (port) (ss.ports ??= []).push(port);
  }
  const out = [...subsets.values()];
  for (const ss of out) ss.ports?.sort((a, b) => compareStrings(portKey(a), portKey(b)));
  out.sort((a, b) => compareAddresses(firstIP(a), firstIP(b)));
  return { labels: endpointsLabels(svc), subsets: out };
}

function firstIP(ss: EndpointSubset): string {
  return ss.addresses?.[0]?.ip ?? ss.notReadyAddresses?.[0]?.ip ?? '';
}

function addressCount(subsets: readonly EndpointSubset[]): { ready: number; notReady: number } {
  let ready = 0;
  let notReady = 0;
  for (const ss of subsets) {
    ready += ss.addresses?.length ?? 0;
    notReady += ss.notReadyAddresses?.length ?? 0;
  }
  return { ready, notReady };
}

/**
 * Kubernetes' truncation of Endpoints over capacity: ready addresses are kept before not-ready
 * ones. When the ready ones alone fit, every ready address stays and the room left goes to the
 * not-ready ones; otherwise the not-ready ones all go and the ready ones are cut. Each subset
 * gets its share of the room in proportion to what it had (rounded up, so later subsets may get
 * less), keeping its first addresses in order. A subset left with no address at all is dropped
 * (the API would refuse it).
 */
export function truncateSubsets(subsets: readonly EndpointSubset[], capacity = MAX_ENDPOINTS_CAPACITY): { subsets: EndpointSubset[]; truncated: boolean } {
  const { ready, notReady } = addressCount(subsets);
  if (ready + notReady <= capacity) return { subsets: [...subsets], truncated: false };
  const cutReady = ready > capacity;
  const room = cutReady ? capacity : capacity - ready;
  const total = cutReady ? ready : notReady;
  let left = room;
  const out: EndpointSubset[] = [];
  for (const ss of subsets) {
    const had = (cutReady ? ss.addresses : ss.notReadyAddresses) ?? [];
    const share = Math.min(Math.ceil((had.length / total) * room), left);
    const kept = had.slice(0, share);
    left -= kept.length;
    const next: EndpointSubset = { ...ss };
    delete next.addresses;
    delete next.notReadyAddresses;
    if (cutReady) {
      if (kept.length) next.addresses = kept;
    } else {
      if (ss.addresses?.length) next.addresses = ss.addresses;
      if (kept.length) next.notReadyAddresses = kept;
    }
    if (next.addresses || next.notReadyAddresses) out.push(next);
  }
  return { subsets: out, truncated: true };
}

/**
 * The Endpoints object to write, or undefined when `current` already says it all. As in
 * Kubernetes, the subsets and labels decide (with the capacity annotation, which must be set
 * exactly when the stored subsets were cut); the trigger time rides along on a write and is
 * removed when there is none.
 */
export function planEndpoints(svc: Service, pods: Pod[], current: Endpoints | undefined, triggerTime: number | undefined): Endpoints | undefined {
  const desired = desiredEndpoints(svc, pods);
  const { subsets, truncated } = truncateSubsets(desired.subsets);
  if (
    current &&
    deepEqual(current.subsets ?? [], subsets) &&
    deepEqual(current.metadata?.labels ?? {}, desired.labels) &&
    (current.metadata?.annotations?.[OVER_CAPACITY_ANNOTATION] === 'truncated') === truncated
  ) {
    return undefined;
  }
  const annotations = withTriggerTime(current?.metadata?.annotations, triggerTime);
  if (truncated) annotations[OVER_CAPACITY_ANNOTATION] = 'truncated';
  else delete annotations[OVER_CAPACITY_ANNOTATION];
  const metadata: core.Endpoints['metadata'] = { ...(current?.metadata ?? {}), name: svc.metadata?.name, namespace: svc.metadata?.namespace, labels: desired.labels };
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
  else delete metadata.annotations;
  return { apiVersion: 'v1', kind: 'Endpoints', metadata, subsets };
}
