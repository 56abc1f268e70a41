// Label and field selectors as the API server evaluates them on list and watch. Parsing lives in
// src/api (labels.ts, fields.ts); here: which fields a resource supports (metadata.name,
// metadata.namespace and the definition's own) and the 400s Kubernetes answers for bad input.
import { errors } from '../api/errors.js';
import { FieldSelectorError, parseFieldSelector, type FieldRequirement } from '../api/fields.js';
import { matches, parseSelector, SelectorError, type LabelSelector } from '../api/labels.js';
import type { KubeObject } from '../api/types.js';
import type { ResourceDefinition } from './registry/types.js';

type FieldGetter = (obj: KubeObject) => string | undefined;

function compileFields(reqs: FieldRequirement[], def: ResourceDefinition): (obj: KubeObject) => boolean {
  if (reqs.length === 0) return () => true;
  const compiled = reqs.map((r) => {
    let get: FieldGetter | undefined;
    if (r.field === 'metadata.name') get = (o) => o.metadata?.name ?? '';
    else if (r.field === 'metadata.namespace') get = def.namespaced ? (o) => o.metadata?.namespace ?? '' : () => '';
    else get = def.fieldSelectors[r.field];
    if (!get) throw errors.badRequest(`field label not supported: ${r.field}`);
    return { get, eq: r.operator === '=', value: r.value };
  });
  return (obj) => compiled.every((c) => ((c.get(obj) ?? '') === c.value) === c.eq);
}

export interface CompiledSelectors {
  matches(obj: KubeObject): boolean;
  /** False when nothing filters (every object matches). */
  filtering: boolean;
  /** The name pinned by `metadata.name=x` (kubectl get KIND NAME -w), if any. */
  name?: string;
}

export function compileSelectors(labelSelector: string | undefined, fieldSelector: string | undefined, def: ResourceDefinition): CompiledSelectors {
  let labels: LabelSelector;
  let fields: FieldRequirement[];
  try {
    labels = parseSelector(labelSelector ?? '');
  } catch (err) {
    if (err instanceof SelectorError) throw errors.badRequest(`unable to parse requirement: ${err.message}`);
    throw err;
  }
  try {
    fields = parseFieldSelector(fieldSelector ?? '');
  } catch (err) {
    if (err instanceof FieldSelectorError) throw errors.badRequest(err.message);
    throw err;
  }
  const fieldMatch = compileFields(fields, def);
  const hasLabels = labels.requirements.length > 0 || !!labels.nothing;
  return {
    matches: (obj) => (!hasLabels || matches(labels, obj.metadata?.labels as Record<string, string> | undefined)) && fieldMatch(obj),
    filtering: hasLabels || fields.length > 0,
    name: fields.find((f) => f.field === 'metadata.name' && f.operator === '=')?.value,
  };
}
