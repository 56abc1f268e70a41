// Object types shared by every component. The shapes are Kubernetes' own JSON
// (from the `kubernetes-types` declarations); this module adds the few generic
// helpers every component needs. Import types from here, not from kubernetes-types.
import type { ObjectMeta, OwnerReference, Status, Time } from 'kubernetes-types/meta/v1.js';

export type * as core from 'kubernetes-types/core/v1.js';
export type * as apps from 'kubernetes-types/apps/v1.js';
export type * as meta from 'kubernetes-types/meta/v1.js';
export type * as coordination from 'kubernetes-types/coordination/v1.js';
export type * as autoscalingV1 from 'kubernetes-types/autoscaling/v1.js';
export type * as autoscalingV2 from 'kubernetes-types/autoscaling/v2.js';
export type * as eventsV1 from 'kubernetes-types/events/v1.js';
export type * as discovery from 'kubernetes-types/discovery/v1.js';
export type { ObjectMeta, OwnerReference, Status, Time };

/** Any API object: typed metadata, everything else open. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [field: string]: unknown;
}

/** A stored object always has metadata with name, uid and resourceVersion. */
export type WithMeta<T extends { metadata?: ObjectMeta }> = T & { metadata: ObjectMeta & { name: string } };

export interface KubeList<T> {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  items: T[];
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent<T = KubeObject> {
  type: WatchEventType;
  object: T;
}

/** Identifies a resource kind on the wire: group '' is the core group. */
export interface GroupVersionResource {
  group: string;
  version: string;
  resource: string;
}

export function apiVersionOf(gvr: { group: string; version: string }): string {
  return gvr.group === '' ? gvr.version : `${gvr.group}/${gvr.version}`;
}
