// What ReplicaSets and Deployments share: a required label selector that must match the
// template's labels, a pod template whose restartPolicy is Always, and the wide table
// columns CONTAINERS / IMAGES / SELECTOR.
import type { FieldCause } from '../../api/errors.js';
import type { core, meta } from '../../api/types.js';
import { formatLabelSelector, fromLabelSelector, matches, selectorString, SelectorError } from '../../api/labels.js';
import { fe, goLabelSelector, goStringMap, isRecord, validateLabels } from './common.js';
import { defaultPodSpec, validatePodTemplate } from './podspec.js';
import type { TableColumn } from './types.js';

export function defaultTemplate(t: core.PodTemplateSpec | undefined): void {
  if (typeof t !== 'object' || t === null || Array.isArray(t)) return;
  if (!isRecord(t.spec)) t.spec = {} as core.PodSpec;
  defaultPodSpec(t.spec);
}

/** Selector present, non-empty, valid, and matching the template labels; then the template itself. */
export function validateSelectorAndTemplate(
  selector: meta.LabelSelector | undefined,
  template: core.PodTemplateSpec | undefined,
  kindWord: string,
): FieldCause[] {
  const errs: FieldCause[] = [];
  if (!selector) {
    errs.push(fe.required('spec.selector'));
  } else {
    errs.push(...validateLabelSelector(selector, 'spec.selector'));
    const empty = Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0;
    if (empty) errs.push(fe.invalid('spec.selector', goLabelSelector(selector), `empty selector is invalid for ${kindWord}`));
  }
  if (!template) {
    errs.push(fe.required('spec.template'));
    return errs;
  }
  if (selector) {
    let matched = false;
    try {
      matched = matches(fromLabelSelector(selector), template.metadata?.labels ?? {});
    } catch {
      matched = true; // already reported as an invalid selector
    }
    if (!matched) {
      errs.push(fe.invalid('spec.template.metadata.labels', goStringMap(template.metadata?.labels ?? {}), '`selector` does not match template `labels`'));
    }
  }
  errs.push(...validatePodTemplate(template, 'spec.template', { restartPolicies: ['Always'] }));
  return errs;
}

const selectorOperators = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

export function validateLabelSelector(s: meta.LabelSelector, path: string): FieldCause[] {
  const errs = validateLabels(s.matchLabels, `${path}.matchLabels`);
  (s.matchExpressions ?? []).forEach((e, i) => {
    const p = `${path}.matchExpressions[${i}]`;
    if (!selectorOperators.includes(e.operator)) errs.push(fe.notSupported(`${p}.operator`, e.operator, selectorOperators));
    const hasValues = (e.values ?? []).length > 0;
    if ((e.operator === 'In' || e.operator === 'NotIn') && !hasValues) {
      errs.push(fe.required(`${p}.values`, 'must be specified when `operator` is \'In\' or \'NotIn\''));
    }
    if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && hasValues) {
      errs.push(fe.forbidden(`${p}.values`, 'may not be specified when `operator` is \'Exists\' or \'DoesNotExist\''));
    }
    for (const m of validateLabels({ [e.key]: '' }, `${p}.key`)) errs.push({ ...m, field: `${p}.key` });
  });
  return errs;
}

export const wideColumns: TableColumn[] = [
  { name: 'Containers', type: 'string', priority: 1, description: 'Names of each container in the template.' },
  { name: 'Images', type: 'string', priority: 1, description: 'Images referenced by each container in the template.' },
  { name: 'Selector', type: 'string', priority: 1, description: 'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.' },
];

export function wideCells(template: core.PodTemplateSpec | undefined, selector: meta.LabelSelector | undefined): string[] {
  const cs = template?.spec?.containers ?? [];
  return [cs.map((c) => c.name).join(','), cs.map((c) => c.image ?? '').join(','), formatLabelSelector(selector)];
}

/** The Scale subresource's status.selector string. */
export function scaleSelector(selector: meta.LabelSelector | undefined): string {
  try {
    return selectorString(fromLabelSelector(selector ?? {}));
  } catch (e) {
    if (e instanceof SelectorError) return '';
    throw e;
  }
}
