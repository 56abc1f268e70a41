// Pieces every kind's registry file shares: field-error constructors worded like Kubernetes'
// (values printed the way Go's field.Invalid prints them), ObjectMeta validation, the
// generation/status strategies, and table helpers.
import { deepEqual } from '../../api/equal.js';
import type { FieldCause } from '../../api/errors.js';
import type { KubeObject, ObjectMeta, meta } from '../../api/types.js';
import type { NameValidator } from '../../api/names.js';
import { isQualifiedName, isValidLabelValue, isDNS1123Label } from '../../api/names.js';
import { ageSince } from '../../api/duration.js';
import type { StrategyContext, TableColumn } from './types.js';

// ---- values printed as Go prints them in field errors ------------------------------------

/** A pre-rendered value for an Invalid message (Go's %#v output for structs and maps). */
export class GoLiteral {
  constructor(readonly text: string) {}
}

function goString(s: string): string {
  return JSON.stringify(s);
}

/** field.Invalid's value printing: ints/bools bare, strings quoted, nil as "null". */
export function goValue(v: unknown): string {
  if (v instanceof GoLiteral) return v.text;
  if (v === undefined || v === null) return 'null';
  if (typeof v === 'string') return goString(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** map[string]string{"a":"b", "c":"d"}, keys sorted as Go's fmt sorts them. */
export function goStringMap(m: Record<string, string> | undefined | null): GoLiteral {
  if (m === undefined || m === null) return new GoLiteral('map[string]string(nil)');
  const body = Object.keys(m)
    .sort()
    .map((k) => `${goString(k)}:${goString(m[k]!)}`)
    .join(', ');
  return new GoLiteral(`map[string]string{${body}}`);
}

/** intstr.IntOrString{Type:0, IntVal:0, StrVal:""} as %#v prints it. */
export function goIntOrString(v: number | string | undefined): GoLiteral {
  if (v === undefined) return new GoLiteral('null');
  return typeof v === 'number'
    ? new GoLiteral(`intstr.IntOrString{Type:0, IntVal:${v}, StrVal:""}`)
    : new GoLiteral(`intstr.IntOrString{Type:1, IntVal:0, StrVal:${goString(v)}}`);
}

/** v1.LabelSelector{MatchLabels:map[string]string{...}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)} */
export function goLabelSelector(s: meta.LabelSelector | undefined | null): GoLiteral {
  if (!s) return new GoLiteral('null');
  const ml = goStringMap(s.matchLabels).text;
  const exprs = s.matchExpressions?.length
    ? `[]v1.LabelSelectorRequirement{${s.matchExpressions
        .map((e) => {
          const vals = e.values ? `[]string{${e.values.map(goString).join(', ')}}` : '[]string(nil)';
          return `v1.LabelSelectorRequirement{Key:${goString(e.key)}, Operator:${goString(e.operator)}, Values:${vals}}`;
        })
        .join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  return new GoLiteral(`v1.LabelSelector{MatchLabels:${ml}, MatchExpressions:${exprs}}`);
}

// ---- field errors ------------------------------------------------------------------------

export const fe = {
  required: (path: string, detail = ''): FieldCause => ({
    type: 'FieldValueRequired',
    field: path,
    message: detail ? `Required value: ${detail}` : 'Required value',
  }),
  invalid: (path: string, value: unknown, detail: string): FieldCause => ({
    type: 'FieldValueInvalid',
    field: path,
    message: `Invalid value: ${goValue(value)}${detail ? ': ' + detail : ''}`,
  }),
  notSupported: (path: string, value: unknown, valid: string[]): FieldCause => ({
    type: 'FieldValueNotSupported',
    field: path,
    message: `Unsupported value: ${goValue(value)}: supported values: ${valid.map((v) => `"${v}"`).join(', ')}`,
  }),
  forbidden: (path: string, detail: string): FieldCause => ({ type: 'FieldValueForbidden', field: path, message: `Forbidden: ${detail}` }),
  duplicate: (path: string, value: unknown): FieldCause => ({ type: 'FieldValueDuplicate', field: path, message: `Duplicate value: ${goValue(value)}` }),
  notFound: (path: string, value: unknown): FieldCause => ({ type: 'FieldValueNotFound', field: path, message: `Not found: ${goValue(value)}` }),
  tooMany: (path: string, actual: number, max: number): FieldCause => ({ type: 'FieldValueTooMany', field: path, message: `Too many: ${actual}: must have at most ${max} items` }),
  tooLong: (path: string, max: number): FieldCause => ({ type: 'FieldValueTooLong', field: path, message: `Too long: may not be more than ${max} bytes` }),
  immutable: (path: string, value: unknown): FieldCause => fe.invalid(path, value, 'field is immutable'),
};

export const nonNegative = (path: string, v: number | undefined): FieldCause[] =>
  v !== undefined && v < 0 ? [fe.invalid(path, v, 'must be greater than or equal to 0')] : [];

// ---- small object helpers ----------------------------------------------------------------

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The object's `spec`, created if missing so defaulting can write into it. */
export function specOf<T extends object>(obj: KubeObject): T {
  if (!isRecord(obj.spec)) obj.spec = {};
  return obj.spec as T;
}

/** ObjectMeta with the system-populated fields writable (kubernetes-types marks them readonly). */
export type WritableMeta = { -readonly [K in keyof ObjectMeta]: ObjectMeta[K] };

export function metaOf(obj: KubeObject): WritableMeta {
  if (!obj.metadata) obj.metadata = {};
  return obj.metadata as WritableMeta;
}

export { deepEqual };

export function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

// ---- ObjectMeta validation ------------------------------------------------------------------

const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

export function validateLabels(labels: Record<string, string> | undefined, path: string): FieldCause[] {
  const errs: FieldCause[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    for (const m of isQualifiedName(k)) errs.push(fe.invalid(path, k, m));
    for (const m of isValidLabelValue(v)) errs.push(fe.invalid(path, v, m));
  }
  return errs;
}

export function validateAnnotations(annotations: Record<string, string> | undefined, path: string): FieldCause[] {
  const errs: FieldCause[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    for (const m of isQualifiedName(k.toLowerCase())) errs.push(fe.invalid(path, k, m));
    size += k.length + (v?.length ?? 0);
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) {
    errs.push({ type: 'FieldValueTooLong', field: path, message: `Too long: must have at most ${TOTAL_ANNOTATION_SIZE_LIMIT} bytes` });
  }
  return errs;
}

export interface MetaRules {
  namespaced: boolean;
  nameValidator: NameValidator;
}

/** ValidateObjectMeta: name or generateName, namespace, labels, annotations, finalizers, owner references. */
export function validateObjectMeta(m: ObjectMeta | undefined, rules: MetaRules, path = 'metadata'): FieldCause[] {
  const errs: FieldCause[] = [];
  const md = m ?? {};
  if (md.generateName) {
    for (const msg of rules.nameValidator(md.generateName, true)) errs.push(fe.invalid(`${path}.generateName`, md.generateName, msg));
  }
  if (!md.name) {
    errs.push(fe.required(`${path}.name`, 'name or generateName is required'));
  } else {
    for (const msg of rules.nameValidator(md.name, false)) errs.push(fe.invalid(`${path}.name`, md.name, msg));
  }
  if (rules.namespaced) {
    if (!md.namespace) errs.push(fe.required(`${path}.namespace`));
    else for (const msg of isDNS1123Label(md.namespace)) errs.push(fe.invalid(`${path}.namespace`, md.namespace, msg));
  } else if (md.namespace) {
    errs.push(fe.forbidden(`${path}.namespace`, 'not allowed on this type'));
  }
  errs.push(...validateLabels(md.labels, `${path}.labels`));
  errs.push(...validateAnnotations(md.annotations, `${path}.annotations`));
  (md.finalizers ?? []).forEach((f, i) => {
    for (const msg of isQualifiedName(f)) errs.push(fe.invalid(`${path}.finalizers[${i}]`, f, msg));
  });
  // Kubernetes reports owner-reference problems without the list index.
  (md.ownerReferences ?? []).forEach((o) => {
    const p = `${path}.ownerReferences`;
    if (!o.apiVersion) errs.push(fe.invalid(`${p}.apiVersion`, o.apiVersion ?? '', 'version must not be empty'));
    if (!o.kind) errs.push(fe.invalid(`${p}.kind`, o.kind ?? '', 'kind must not be empty'));
    if (!o.name) errs.push(fe.invalid(`${p}.name`, o.name ?? '', 'name must not be empty'));
    if (!o.uid) errs.push(fe.invalid(`${p}.uid`, o.uid ?? '', 'uid must not be empty'));
  });
  const controllers = (md.ownerReferences ?? []).filter((o) => o.controller === true);
  if (controllers.length > 1) {
    errs.push(
      fe.invalid(
        `${path}.ownerReferences`,
        new GoLiteral(`[]v1.OwnerReference{...}`),
        `Only one reference can have Controller set to true. Found "true" in references for ${controllers.map((c) => `${c.kind}/${c.name}`).join(' and ')}`,
      ),
    );
  }
  return errs;
}

/** ValidateObjectMetaUpdate: identity fields never change. */
export function validateObjectMetaUpdate(m: ObjectMeta | undefined, old: ObjectMeta | undefined, rules: MetaRules): FieldCause[] {
  const errs = validateObjectMeta(m, rules);
  const n = m ?? {};
  const o = old ?? {};
  if (o.name !== undefined && n.name !== o.name) errs.push(fe.immutable('metadata.name', n.name ?? ''));
  if (n.namespace !== o.namespace) errs.push(fe.immutable('metadata.namespace', n.namespace ?? ''));
  if (o.uid !== undefined && n.uid !== undefined && n.uid !== o.uid) errs.push(fe.immutable('metadata.uid', n.uid));
  if (o.creationTimestamp !== undefined && n.creationTimestamp !== undefined && n.creationTimestamp !== o.creationTimestamp) {
    errs.push(fe.immutable('metadata.creationTimestamp', n.creationTimestamp));
  }
  return errs;
}

// ---- strategies --------------------------------------------------------------------------------

export interface StrategyRules {
  /** Kind has a status subresource: status is reset on create and kept on main updates. */
  hasStatus: boolean;
  /** Kind tracks metadata.generation (bumped when spec changes). */
  tracksGeneration: boolean;
  /** Also bump generation when annotations change (Deployments do, as they copy them to ReplicaSets). */
  annotationsBumpGeneration?: boolean;
  /** The status a new object starts with (default: none). */
  initialStatus?(obj: KubeObject): unknown;
}

export function prepareForCreate(obj: KubeObject, rules: StrategyRules): void {
  if (rules.hasStatus) {
    const s = rules.initialStatus?.(obj);
    if (s === undefined) delete obj.status;
    else obj.status = s;
  }
  if (rules.tracksGeneration) metaOf(obj).generation = 1;
}

export function prepareForUpdate(obj: KubeObject, old: KubeObject, rules: StrategyRules): void {
  if (rules.hasStatus) {
    if (old.status === undefined) delete obj.status;
    else obj.status = clone(old.status);
  }
  if (rules.tracksGeneration) {
    const oldGen = old.metadata?.generation ?? 0;
    const specChanged = !deepEqual(obj.spec, old.spec);
    const annotationsChanged = rules.annotationsBumpGeneration === true && !deepEqual(obj.metadata?.annotations ?? {}, old.metadata?.annotations ?? {});
    metaOf(obj).generation = specChanged || annotationsChanged ? oldGen + 1 : oldGen;
  }
}

/** Status updates never change spec (nor, for most kinds, labels) nor generation. */
export function prepareForStatusUpdate(obj: KubeObject, old: KubeObject, opts: { keepLabels: boolean }): void {
  if (old.spec === undefined) delete obj.spec;
  else obj.spec = clone(old.spec);
  const m = metaOf(obj);
  if (old.metadata?.generation !== undefined) m.generation = old.metadata.generation;
  else delete m.generation;
  if (opts.keepLabels) {
    if (old.metadata?.labels === undefined) delete m.labels;
    else m.labels = clone(old.metadata.labels);
  }
}

// ---- tables -----------------------------------------------------------------------------------

export const nameColumn: TableColumn = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description:
    'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names',
  priority: 0,
};

export const ageColumn: TableColumn = {
  name: 'Age',
  type: 'string',
  description:
    'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata',
  priority: 0,
};

export function age(obj: KubeObject, ctx: StrategyContext): string {
  return ageSince(obj.metadata?.creationTimestamp, ctx.now());
}

export function col(name: string, type: TableColumn['type'], description: string, priority = 0): TableColumn {
  return { name, type, description, priority };
}

/** Common discovery verbs for a full CRUD resource. */
export const allVerbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
