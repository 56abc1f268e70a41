// What the generic REST machinery (src/apiserver) needs to know about one resource.
// Each kind's file under registry/ exports one ResourceDefinition; the server is
// generic over them. Everything here is pure: no I/O, no store, no clock except `now`.
import type { FieldCause } from '../../api/errors.js';
import type { KubeObject } from '../../api/types.js';

export interface TableColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format?: string;
  description: string;
  /** 0 = always shown; >0 = only with -o wide. */
  priority: number;
}

export interface ScaleSubresource {
  /** Paths into the object, as Kubernetes' scale subresource uses them. */
  specReplicasPath: 'spec.replicas';
  statusReplicasPath: 'status.replicas';
  /** Selector as a label-selector string for Scale.status.selector. */
  selector(obj: KubeObject): string;
}

export interface StrategyContext {
  /** Injected clock. */
  now(): Date;
}

/** A connect subresource: an upgraded stream to the node, e.g. { name: 'exec', optionsKind: 'PodExecOptions' }. */
export interface ConnectSubresource {
  name: string;
  optionsKind: string;
}

export interface ResourceDefinition {
  group: string; // '' = core
  version: string; // served version(s): one definition per group-version
  resource: string; // plural, e.g. 'pods'
  singular: string; // e.g. 'pod'
  kind: string; // e.g. 'Pod'
  listKind: string; // e.g. 'PodList'
  namespaced: boolean;
  shortNames: string[];
  categories: string[]; // e.g. ['all']
  verbs: string[]; // discovery verbs
  subresources: {
    status?: boolean;
    scale?: ScaleSubresource;
    /** pods/binding */
    binding?: boolean;
    /** pods/eviction (policy/v1 Eviction): a graceful delete that honours PodDisruptionBudgets. */
    eviction?: boolean;
    /**
     * Subresources served by connecting to the pod's node (pods/attach, pods/exec, pods/portforward):
     * the name and the options kind discovery shows for each.
     */
    connect?: ConnectSubresource[];
  };
  /**
   * When the same objects are served under several versions (autoscaling v1 and v2),
   * the storage version and converters. Objects are stored in `storageVersion`.
   */
  storageVersion?: string;
  /**
   * When objects of this definition are stored under another group's resource (events.k8s.io/v1
   * events live in core v1 events), that group; absent = `group`. toStorage/fromStorage then
   * convert to and from the other group's storage version.
   */
  storageGroup?: string;
  toStorage?(obj: KubeObject): KubeObject;
  fromStorage?(obj: KubeObject): KubeObject;

  /** Applies Kubernetes' defaults in place (restartPolicy, terminationGracePeriodSeconds, ...). */
  applyDefaults(obj: KubeObject): void;
  /** Full validation of a new object (after defaults). Empty = valid. */
  validateCreate(obj: KubeObject): FieldCause[];
  /** Validation of an update: includes immutability checks against `old`. */
  validateUpdate(obj: KubeObject, old: KubeObject): FieldCause[];
  /** Status-subresource update validation. */
  validateStatusUpdate?(obj: KubeObject, old: KubeObject): FieldCause[];
  /** Before create: clear status if the kind has a status subresource, set generation 1, etc. */
  prepareForCreate(obj: KubeObject, ctx: StrategyContext): void;
  /** Before a main-resource update: keep old status, bump generation when spec changed. */
  prepareForUpdate(obj: KubeObject, old: KubeObject, ctx: StrategyContext): void;
  /** Before a status update: keep old spec/metadata except what the status strategy allows. */
  prepareForStatusUpdate?(obj: KubeObject, old: KubeObject, ctx: StrategyContext): void;

  /** Server-side table columns (kubectl get). */
  tableColumns: TableColumn[];
  /** One row of cells, same order as tableColumns. */
  tableRow(obj: KubeObject, ctx: StrategyContext): unknown[];
  /**
   * How a DELETE proceeds. Absent = delete at once. Pods: bound, non-terminal pods get a
   * graceful deletion (deletionTimestamp + deletionGracePeriodSeconds = graceSeconds, removed
   * later by the node agent); graceSeconds 0 means delete now.
   */
  gracefulDelete?(obj: KubeObject, requestedGraceSeconds: number | undefined): { graceSeconds: number };
  /** Supported field selectors beyond metadata.name / metadata.namespace, returning the field's string value. */
  fieldSelectors: Record<string, (obj: KubeObject) => string | undefined>;
}

/**
 * Kubernetes' BeginCreate/BeginUpdate for kinds that hold cluster-wide resources (a Service's
 * cluster IP and node ports). Called after defaults and the strategy, before validation; throws
 * an ApiError (422) when the object cannot have what it asks for. The returned finish(stored)
 * keeps the reservation when the object was stored and gives it back otherwise.
 */
export interface AllocationHooks {
  beginCreate(obj: KubeObject): (stored: boolean) => void;
  beginUpdate(obj: KubeObject, old: KubeObject): (stored: boolean) => void;
}
