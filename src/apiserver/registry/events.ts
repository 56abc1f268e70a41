// core/v1 events (the storage) and events.k8s.io/v1 events (served from the same storage,
// converted field by field), with the kubectl table LAST SEEN / TYPE / REASON / OBJECT / MESSAGE.
import type { FieldCause } from '../../api/errors.js';
import type { KubeObject, core, eventsV1 } from '../../api/types.js';
import { ageSince } from '../../api/duration.js';
import { nameIsDNSSubdomain } from '../../api/names.js';
import type { ResourceDefinition, StrategyContext } from './types.js';
import { allVerbs, col, fe, nameColumn, validateObjectMeta, validateObjectMetaUpdate } from './common.js';

type CoreEvent = core.Event;
type NewEvent = eventsV1.Event;
const metaRules = { namespaced: true, nameValidator: nameIsDNSSubdomain };

function isNewShape(obj: KubeObject): boolean {
  return obj.apiVersion === 'events.k8s.io/v1' || (obj.involvedObject === undefined && obj.regarding !== undefined);
}

function assign(target: Record<string, unknown>, key: string, v: unknown): void {
  if (v !== undefined) target[key] = v;
}

/** events.k8s.io/v1 → core/v1 (the stored form). */
export function eventToCore(obj: KubeObject): KubeObject {
  const e = obj as unknown as NewEvent;
  const out: Record<string, unknown> = { apiVersion: 'v1', kind: 'Event', metadata: e.metadata };
  out.involvedObject = e.regarding ?? {};
  assign(out, 'related', e.related);
  assign(out, 'reason', e.reason);
  assign(out, 'message', e.note);
  assign(out, 'source', e.deprecatedSource);
  assign(out, 'firstTimestamp', e.deprecatedFirstTimestamp);
  assign(out, 'lastTimestamp', e.deprecatedLastTimestamp);
  assign(out, 'count', e.deprecatedCount);
  assign(out, 'type', e.type);
  assign(out, 'eventTime', e.eventTime ?? undefined);
  assign(out, 'series', e.series);
  assign(out, 'action', e.action);
  assign(out, 'reportingComponent', e.reportingController);
  assign(out, 'reportingInstance', e.reportingInstance);
  return out as KubeObject;
}

/** core/v1 → events.k8s.io/v1. */
export function eventFromCore(obj: KubeObject): KubeObject {
  const e = obj as unknown as CoreEvent;
  const out: Record<string, unknown> = { apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: e.metadata };
  assign(out, 'eventTime', e.eventTime ?? null);
  assign(out, 'series', e.series);
  assign(out, 'reportingController', e.reportingComponent);
  assign(out, 'reportingInstance', e.reportingInstance);
  assign(out, 'action', e.action);
  assign(out, 'reason', e.reason);
  assign(out, 'regarding', e.involvedObject);
  assign(out, 'related', e.related);
  assign(out, 'note', e.message);
  assign(out, 'type', e.type);
  assign(out, 'deprecatedSource', e.source);
  assign(out, 'deprecatedFirstTimestamp', e.firstTimestamp);
  assign(out, 'deprecatedLastTimestamp', e.lastTimestamp);
  assign(out, 'deprecatedCount', e.count);
  return out as KubeObject;
}

const asCore = (obj: KubeObject): CoreEvent => (isNewShape(obj) ? eventToCore(obj) : obj) as unknown as CoreEvent;

function validateCoreEvent(e: CoreEvent): FieldCause[] {
  const errs: FieldCause[] = [];
  const ns = e.metadata?.namespace ?? '';
  const io = e.involvedObject ?? {};
  if (io.namespace && io.namespace !== ns) errs.push(fe.invalid('involvedObject.namespace', io.namespace, 'does not match event.namespace'));
  if (e.type !== undefined && e.type !== '' && e.type !== 'Normal' && e.type !== 'Warning') {
    errs.push(fe.notSupported('type', e.type, ['Normal', 'Warning']));
  }
  if (e.reason !== undefined && e.reason.length > 128) errs.push(fe.tooLong('reason', 128));
  return errs;
}

function validateNewEvent(e: NewEvent): FieldCause[] {
  const errs = validateCoreEvent(eventToCore(e as unknown as KubeObject) as unknown as CoreEvent).map((c) =>
    c.field.startsWith('involvedObject') ? { ...c, field: c.field.replace('involvedObject', 'regarding') } : c,
  );
  if (!e.eventTime) errs.push(fe.required('eventTime'));
  if (!e.reportingController) errs.push(fe.required('reportingController'));
  if (!e.reportingInstance) errs.push(fe.required('reportingInstance'));
  if (!e.action) errs.push(fe.required('action'));
  if (!e.reason) errs.push(fe.required('reason'));
  if (e.type !== 'Normal' && e.type !== 'Warning') errs.push(fe.notSupported('type', e.type ?? '', ['Normal', 'Warning']));
  return errs;
}

function eventSource(e: CoreEvent): string {
  const format = (component: string, host: string): string => (host ? `${component}, ${host}` : component);
  if (e.source?.component) return format(e.source.component, e.source.host ?? '');
  return format(e.reportingComponent ?? '', e.reportingInstance ?? '');
}

function eventRow(obj: KubeObject, ctx: StrategyContext): unknown[] {
  const e = asCore(obj);
  const now = ctx.now();
  const first = e.firstTimestamp ? ageSince(e.firstTimestamp, now) : ageSince(e.eventTime, now);
  let last = e.lastTimestamp ? ageSince(e.lastTimestamp, now) : first;
  let count = e.count ?? 0;
  if (e.series) {
    last = ageSince(e.series.lastObservedTime, now);
    count = e.series.count ?? 0;
  } else if (count === 0) {
    count = 1; // singleton events of the new API carry no count
  }
  const io = e.involvedObject ?? {};
  const kind = (io.kind ?? '').toLowerCase();
  const target = io.name ? `${kind}/${io.name}` : kind;
  return [last, e.type ?? '', e.reason ?? '', target, io.fieldPath ?? '', eventSource(e), (e.message ?? '').trim(), first, count, e.metadata?.name ?? ''];
}

const columns = [
  col('Last Seen', 'string', 'The time at which the most recent occurrence of this event was recorded.'),
  col('Type', 'string', 'Type of this event (Normal, Warning), new types could be added in the future'),
  col('Reason', 'string', "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
  col('Object', 'string', 'The object that this event is about.'),
  col('Subobject', 'string', 'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2].', 1),
  col('Source', 'string', 'The component reporting this event. Should be a short machine understandable string.', 1),
  col('Message', 'string', 'A human-readable description of the status of this operation.'),
  col('First Seen', 'string', 'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)', 1),
  col('Count', 'string', 'The number of times this event has occurred.', 1),
  { ...nameColumn, name: 'Name', priority: 1 },
];

function involved(field: keyof core.ObjectReference) {
  return (o: KubeObject): string => String(asCore(o).involvedObject?.[field] ?? '');
}

const coreFieldSelectors: ResourceDefinition['fieldSelectors'] = {
  'involvedObject.kind': involved('kind'),
  'involvedObject.namespace': involved('namespace'),
  'involvedObject.name': involved('name'),
  'involvedObject.uid': involved('uid'),
  'involvedObject.apiVersion': involved('apiVersion'),
  'involvedObject.resourceVersion': involved('resourceVersion'),
  'involvedObject.fieldPath': involved('fieldPath'),
  reason: (o) => asCore(o).reason ?? '',
  reportingComponent: (o) => asCore(o).reportingComponent ?? '',
  source: (o) => asCore(o).source?.component ?? '',
  type: (o) => asCore(o).type ?? '',
};

export function coreEvents(): ResourceDefinition {
  return {
    group: '',
    version: 'v1',
    resource: 'events',
    singular: 'event',
    kind: 'Event',
    listKind: 'EventList',
    namespaced: true,
    shortNames: ['ev'],
    categories: [],
    verbs: allVerbs,
    subresources: {},
    applyDefaults() {},
    validateCreate: (obj) => [...validateObjectMeta(obj.metadata, metaRules), ...validateCoreEvent(obj as unknown as CoreEvent)],
    validateUpdate: (obj, old) => [...validateObjectMetaUpdate(obj.metadata, old.metadata, metaRules), ...validateCoreEvent(obj as unknown as CoreEvent)],
    prepareForCreate() {},
    prepareForUpdate() {},
    tableColumns: columns,
    tableRow: eventRow,
    fieldSelectors: coreFieldSelectors,
  };
}

export function eventsV1Events(): ResourceDefinition {
  const regarding: ResourceDefinition['fieldSelectors'] = {};
  for (const [k, f] of Object.entries(coreFieldSelectors)) {
    regarding[k.startsWith('involvedObject.') ? k.replace('involvedObject.', 'regarding.') : k === 'reportingComponent' ? 'reportingController' : k] = f;
  }
  return {
    ...coreEvents(),
    group: 'events.k8s.io',
    shortNames: ['ev'],
    storageGroup: '',
    storageVersion: 'v1',
    toStorage: eventToCore,
    fromStorage: eventFromCore,
    validateCreate: (obj) => [...validateObjectMeta(obj.metadata, metaRules), ...validateNewEvent(obj as unknown as NewEvent)],
    validateUpdate: (obj, old) => [...validateObjectMetaUpdate(obj.metadata, old.metadata, metaRules), ...validateNewEvent(obj as unknown as NewEvent)],
    fieldSelectors: regarding,
  };
}
