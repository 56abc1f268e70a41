// The resource metrics the pipeline keeps and the metrics.k8s.io/v1beta1 objects
// built from them (PodMetrics, NodeMetrics), as metrics-server serves them.
import { formatCpuNanos, formatMemoryBytes } from '../../api/quantity.js';
import { formatGoDuration } from '../duration.js';

export const METRICS_GROUP = 'metrics.k8s.io';
export const METRICS_VERSION = 'v1beta1';
export const METRICS_API_VERSION = `${METRICS_GROUP}/${METRICS_VERSION}`;

export interface ContainerUsage {
  name: string;
  cpuNanoCores: number;
  memoryBytes: number;
}

export interface PodUsage {
  namespace: string;
  name: string;
  uid?: string;
  labels: Record<string, string>;
  /** When the usage was measured. */
  timestamp: Date;
  /** Over how long the CPU rate was measured, in ms. */
  windowMs: number;
  containers: ContainerUsage[];
}

export interface NodeUsage {
  name: string;
  labels: Record<string, string>;
  timestamp: Date;
  windowMs: number;
  cpuNanoCores: number;
  memoryBytes: number;
}

/** Where the metrics API and the autoscaler read the latest figures. */
export interface MetricsProvider {
  /** All pods' latest usage, or one namespace's. */
  podUsage(namespace?: string): PodUsage[];
  nodeUsage(): NodeUsage[];
}

/** Usage values as wire quantities. */
export interface ResourceList {
  cpu: string;
  memory: string;
}

export interface PodMetrics {
  kind: 'PodMetrics';
  apiVersion: typeof METRICS_API_VERSION;
  metadata: { name: string; namespace: string; creationTimestamp: string; labels?: Record<string, string> };
  timestamp: string;
  window: string;
  containers: Array<{ name: string; usage: ResourceList }>;
}

export interface NodeMetrics {
  kind: 'NodeMetrics';
  apiVersion: typeof METRICS_API_VERSION;
  metadata: { name: string; creationTimestamp: string; labels?: Record<string, string> };
  timestamp: string;
  window: string;
  usage: ResourceList;
}

/** metav1.Time: RFC 3339 with whole seconds. */
export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function usageList(cpuNanoCores: number, memoryBytes: number): ResourceList {
  return { cpu: formatCpuNanos(cpuNanoCores), memory: formatMemoryBytes(memoryBytes) };
}

export function toPodMetrics(p: PodUsage, now: Date): PodMetrics {
  const metadata: PodMetrics['metadata'] = { name: p.name, namespace: p.namespace, creationTimestamp: rfc3339(now) };
  if (Object.keys(p.labels).length > 0) metadata.labels = { ...p.labels };
  return {
    kind: 'PodMetrics',
    apiVersion: METRICS_API_VERSION,
    metadata,
    timestamp: rfc3339(p.timestamp),
    window: formatGoDuration(p.windowMs),
    containers: p.containers.map((c) => ({ name: c.name, usage: usageList(c.cpuNanoCores, c.memoryBytes) })),
  };
}

export function toNodeMetrics(n: NodeUsage, now: Date): NodeMetrics {
  const metadata: NodeMetrics['metadata'] = { name: n.name, creationTimestamp: rfc3339(now) };
  if (Object.keys(n.labels).length > 0) metadata.labels = { ...n.labels };
  return {
    kind: 'NodeMetrics',
    apiVersion: METRICS_API_VERSION,
    metadata,
    timestamp: rfc3339(n.timestamp),
    window: formatGoDuration(n.windowMs),
    usage: usageList(n.cpuNanoCores, n.memoryBytes),
  };
}
