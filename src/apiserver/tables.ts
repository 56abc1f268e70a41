// Server-side tables (meta.k8s.io/v1 Table), what `kubectl get` prints.
import { ageSince } from '../api/duration.js';
import type { KubeObject } from '../api/types.js';
import type { ResourceDefinition, StrategyContext, TableColumn } from './registry/types.js';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface TableRow {
  cells: unknown[];
  object?: KubeObject;
}

export interface Table {
  kind: 'Table';
  apiVersion: string;
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  columnDefinitions: TableColumn[];
  rows: TableRow[];
}

const defaultColumns: TableColumn[] = [
  { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0 },
  { name: 'Created At', type: 'date', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.', priority: 0 },
];

export function parseIncludeObject(v: string | null): IncludeObject {
  return v === 'None' || v === 'Object' ? v : 'Metadata';
}

export function partialMetadata(obj: KubeObject, metaVersion = 'v1'): KubeObject {
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${metaVersion}`, metadata: obj.metadata };
}

function rowFor(def: ResourceDefinition, obj: KubeObject, include: IncludeObject, ctx: StrategyContext, metaVersion: string): TableRow {
  const cells = def.tableColumns.length > 0 ? def.tableRow(obj, ctx) : [obj.metadata?.name ?? '', obj.metadata?.creationTimestamp ?? ''];
  const row: TableRow = { cells };
  if (include === 'Metadata') row.object = partialMetadata(obj, metaVersion);
  else if (include === 'Object') row.object = obj;
  return row;
}

export function toTable(
  def: ResourceDefinition,
  objs: KubeObject[],
  include: IncludeObject,
  ctx: StrategyContext,
  listMeta: Table['metadata'],
  metaVersion = 'v1',
): Table {
  return {
    kind: 'Table',
    apiVersion: `meta.k8s.io/${metaVersion}`,
    metadata: listMeta,
    columnDefinitions: def.tableColumns.length > 0 ? def.tableColumns : defaultColumns,
    rows: objs.map((o) => rowFor(def, o, include, ctx, metaVersion)),
  };
}

// The scale subresource's columns (`kubectl get deploy web --subresource=scale`): Kubernetes
// prints a Scale as NAME DESIRED AVAILABLE AGE, its name column without the `name` format.
const scaleColumns: TableColumn[] = [
  { name: 'Name', type: 'string', description: 'Name must be unique within a namespace.', priority: 0 },
  { name: 'Desired', type: 'integer', description: 'replicas is the desired number of instances for the scaled object.', priority: 0 },
  { name: 'Available', type: 'integer', description: 'replicas is the actual number of observed instances of the scaled object.', priority: 0 },
  { name: 'Age', type: 'string', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.', priority: 0 },
];

/** A Table of one autoscaling/v1 Scale. */
export function scaleTable(scale: KubeObject, include: IncludeObject, now: Date, metaVersion = 'v1'): Table {
  const spec = (scale.spec ?? {}) as { replicas?: number };
  const status = (scale.status ?? {}) as { replicas?: number };
  const row: TableRow = { cells: [scale.metadata?.name ?? '', spec.replicas ?? 0, status.replicas ?? 0, ageSince(scale.metadata?.creationTimestamp, now)] };
  if (include === 'Metadata') row.object = partialMetadata(scale, metaVersion);
  else if (include === 'Object') row.object = scale;
  return { kind: 'Table', apiVersion: `meta.k8s.io/${metaVersion}`, metadata: { resourceVersion: scale.metadata?.resourceVersion }, columnDefinitions: scaleColumns, rows: [row] };
}
