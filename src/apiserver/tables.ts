// Server-side tables (meta.k8s.io/v1 Table), what `kubectl get` prints.
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
