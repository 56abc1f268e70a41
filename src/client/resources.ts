// Well-known resources: where each kind lives on the wire. The type parameter is
// carried so `client.resource(PODS)` is typed as Pod without a cast.
import type { apps, autoscalingV2, coordination, core, ObjectMeta } from '../api/types.js';

/** Anything with Kubernetes object metadata (kubernetes-types interfaces fit). */
export interface ObjectLike {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

export interface ResourceType<T extends ObjectLike = ObjectLike> {
  group: string; // '' = core
  version: string;
  resource: string; // plural
  kind: string;
  namespaced: boolean;
  /** Phantom: never set, only carries T. */
  readonly _type?: T;
}

function rt<T extends ObjectLike>(group: string, version: string, resource: string, kind: string, namespaced: boolean): ResourceType<T> {
  return Object.freeze({ group, version, resource, kind, namespaced });
}

export const PODS = rt<core.Pod>('', 'v1', 'pods', 'Pod', true);
export const NODES = rt<core.Node>('', 'v1', 'nodes', 'Node', false);
export const NAMESPACES = rt<core.Namespace>('', 'v1', 'namespaces', 'Namespace', false);
export const EVENTS = rt<core.Event>('', 'v1', 'events', 'Event', true);
export const SERVICES = rt<core.Service>('', 'v1', 'services', 'Service', true);
export const ENDPOINTS = rt<core.Endpoints>('', 'v1', 'endpoints', 'Endpoints', true);
export const CONFIGMAPS = rt<core.ConfigMap>('', 'v1', 'configmaps', 'ConfigMap', true);
export const LEASES = rt<coordination.Lease>('coordination.k8s.io', 'v1', 'leases', 'Lease', true);
export const REPLICASETS = rt<apps.ReplicaSet>('apps', 'v1', 'replicasets', 'ReplicaSet', true);
export const DEPLOYMENTS = rt<apps.Deployment>('apps', 'v1', 'deployments', 'Deployment', true);
export const HPAS = rt<autoscalingV2.HorizontalPodAutoscaler>('autoscaling', 'v2', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler', true);

export function apiVersionOfResource(r: { group: string; version: string }): string {
  return r.group === '' ? r.version : `${r.group}/${r.version}`;
}
