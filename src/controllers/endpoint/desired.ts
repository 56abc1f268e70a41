// What a Service's Endpoints object should hold, from the Service and the pods in its namespace:
// ready pods' IPs in subsets[].addresses, the others in notReadyAddresses (all of them in addresses
// with publishNotReadyAddresses), each with its node and a reference to the pod. Addresses that
// reach the same set of ports share one subset, as Kubernetes' RepackSubsets leaves them:
//
//   Service ports http→8080, metrics→"metrics"; pods a (ready, metrics=9090), b (not ready, 9090)
//   → [{ addresses: [a], notReadyAddresses: [b], ports: [http 8080, metrics 9090] }]
import { compareAddresses, compareStrings } from '../../api/compare.js';
import type { core } from '../../api/types.js';
import { HEADLESS_LABEL, isPodReady, podHostname, podReference, serviceSelects, shouldPodBeInEndpoints, targetPortOn } from '../runtime/services.js';

type Pod = core.Pod;
type Service = core.Service;
type EndpointAddress = core.EndpointAddress;
type EndpointPort = core.EndpointPort;
type EndpointSubset = core.EndpointSubset;

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
