// apps/v1 deployments: defaults (RollingUpdate 25%/25%, revisionHistoryLimit 10,
// progressDeadlineSeconds 600, replicas 1), rollout-parameter validation, selector
// immutability, and generation bumped by spec or annotation changes.
import type { FieldCause } from '../../api/errors.js';
import type { KubeObject, apps } from '../../api/types.js';
import { nameIsDNSSubdomain } from '../../api/names.js';
import { isPercent, percentValue, PERCENT_FORMAT_MESSAGE, type IntOrString } from '../../api/intorstr.js';
import type { ResourceDefinition } from './types.js';
import {
  age, ageColumn, allVerbs, col, deepEqual, fe, goIntOrString, goLabelSelector, nameColumn, nonNegative,
  prepareForCreate, prepareForStatusUpdate, prepareForUpdate, specOf, validateObjectMeta, validateObjectMetaUpdate,
  type StrategyRules,
} from './common.js';
import { defaultTemplate, scaleSelector, validateSelectorAndTemplate, wideCells, wideColumns } from './workload.js';

type Deployment = apps.Deployment;
const metaRules = { namespaced: true, nameValidator: nameIsDNSSubdomain };
const strategy: StrategyRules = { hasStatus: true, tracksGeneration: true, annotationsBumpGeneration: true };

export function defaultDeployment(obj: KubeObject): void {
  const spec = specOf<apps.DeploymentSpec>(obj);
  spec.replicas ??= 1;
  spec.strategy ??= {};
  spec.strategy.type ??= 'RollingUpdate';
  if (spec.strategy.type === 'RollingUpdate') {
    spec.strategy.rollingUpdate ??= {};
    spec.strategy.rollingUpdate.maxUnavailable ??= '25%';
    spec.strategy.rollingUpdate.maxSurge ??= '25%';
  }
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  defaultTemplate(spec.template);
}

/** ValidatePositiveIntOrPercent (+ the 100% cap for maxUnavailable). */
function validateIntOrPercent(v: IntOrString | undefined, path: string, capAt100: boolean): FieldCause[] {
  if (v === undefined) return [];
  const errs: FieldCause[] = [];
  if (typeof v === 'string') {
    if (!isPercent(v)) errs.push(fe.invalid(path, goIntOrString(v), PERCENT_FORMAT_MESSAGE));
    else if (capAt100 && (percentValue(v) ?? 0) > 100) errs.push(fe.invalid(path, goIntOrString(v), 'must not be greater than 100%'));
  } else if (v < 0) {
    errs.push(fe.invalid(path, goIntOrString(v), 'must be greater than or equal to 0'));
  }
  return errs;
}

const isZero = (v: IntOrString | undefined): boolean => v === 0 || (typeof v === 'string' && isPercent(v) && percentValue(v) === 0);

function validateStrategy(s: apps.DeploymentStrategy | undefined): FieldCause[] {
  const errs: FieldCause[] = [];
  const types = ['Recreate', 'RollingUpdate'];
  if (!s?.type) return [fe.required('spec.strategy.type')];
  if (!types.includes(s.type)) return [fe.notSupported('spec.strategy.type', s.type, types)];
  if (s.type === 'Recreate') {
    if (s.rollingUpdate) errs.push(fe.forbidden('spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'"));
    return errs;
  }
  const ru = s.rollingUpdate;
  if (!ru) return [fe.required('spec.strategy.rollingUpdate', 'this should be defaulted and never be nil')];
  const p = 'spec.strategy.rollingUpdate';
  errs.push(...validateIntOrPercent(ru.maxUnavailable, `${p}.maxUnavailable`, true));
  errs.push(...validateIntOrPercent(ru.maxSurge, `${p}.maxSurge`, false));
  if (isZero(ru.maxSurge) && isZero(ru.maxUnavailable)) {
    errs.push(fe.invalid(`${p}.maxUnavailable`, goIntOrString(ru.maxUnavailable), 'may not be 0 when `maxSurge` is 0'));
  }
  return errs;
}

function validateSpec(d: Deployment): FieldCause[] {
  const spec = d.spec;
  if (!spec) return [fe.required('spec.selector'), fe.required('spec.template')];
  const errs = [
    ...nonNegative('spec.replicas', spec.replicas),
    ...validateSelectorAndTemplate(spec.selector, spec.template, 'deployment'),
    ...validateStrategy(spec.strategy),
    ...nonNegative('spec.minReadySeconds', spec.minReadySeconds),
    ...nonNegative('spec.revisionHistoryLimit', spec.revisionHistoryLimit),
  ];
  if (spec.progressDeadlineSeconds !== undefined) {
    errs.push(...nonNegative('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds));
    if (spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0)) {
      errs.push(fe.invalid('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds, 'must be greater than minReadySeconds'));
    }
  }
  return errs;
}

function validateStatus(d: Deployment): FieldCause[] {
  const s = d.status;
  if (!s) return [];
  const errs = [
    ...nonNegative('status.observedGeneration', s.observedGeneration),
    ...nonNegative('status.replicas', s.replicas),
    ...nonNegative('status.updatedReplicas', s.updatedReplicas),
    ...nonNegative('status.readyReplicas', s.readyReplicas),
    ...nonNegative('status.availableReplicas', s.availableReplicas),
    ...nonNegative('status.unavailableReplicas', s.unavailableReplicas),
    ...nonNegative('status.collisionCount', s.collisionCount),
  ];
  if ((s.availableReplicas ?? 0) > (s.replicas ?? 0)) errs.push(fe.invalid('status.availableReplicas', s.availableReplicas, 'cannot be greater than status.replicas'));
  if ((s.availableReplicas ?? 0) > (s.readyReplicas ?? 0)) errs.push(fe.invalid('status.availableReplicas', s.availableReplicas, 'cannot be greater than readyReplicas'));
  return errs;
}

export function deployments(): ResourceDefinition {
  return {
    group: 'apps',
    version: 'v1',
    resource: 'deployments',
    singular: 'deployment',
    kind: 'Deployment',
    listKind: 'DeploymentList',
    namespaced: true,
    shortNames: ['deploy'],
    categories: ['all'],
    verbs: allVerbs,
    subresources: {
      status: true,
      scale: {
        specReplicasPath: 'spec.replicas',
        statusReplicasPath: 'status.replicas',
        selector: (obj) => scaleSelector((obj as Deployment).spec?.selector),
      },
    },
    applyDefaults: defaultDeployment,
    validateCreate(obj) {
      return [...validateObjectMeta(obj.metadata, metaRules), ...validateSpec(obj as Deployment)];
    },
    validateUpdate(obj, old) {
      const errs = [...validateObjectMetaUpdate(obj.metadata, old.metadata, metaRules), ...validateSpec(obj as Deployment)];
      const sel = (obj as Deployment).spec?.selector;
      if (!deepEqual(sel, (old as Deployment).spec?.selector)) errs.push(fe.immutable('spec.selector', goLabelSelector(sel)));
      return errs;
    },
    validateStatusUpdate(obj, old) {
      return [...validateObjectMetaUpdate(obj.metadata, old.metadata, metaRules), ...validateStatus(obj as Deployment)];
    },
    prepareForCreate: (obj) => prepareForCreate(obj, strategy),
    prepareForUpdate: (obj, old) => prepareForUpdate(obj, old, strategy),
    prepareForStatusUpdate: (obj, old) => prepareForStatusUpdate(obj, old, { keepLabels: true }),
    tableColumns: [
      nameColumn,
      col('Ready', 'string', 'Number of the pod with ready state'),
      col('Up-to-date', 'string', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
      col('Available', 'string', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'),
      ageColumn,
      ...wideColumns,
    ],
    tableRow(obj, ctx) {
      const d = obj as Deployment;
      return [
        d.metadata?.name ?? '',
        `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`,
        d.status?.updatedReplicas ?? 0,
        d.status?.availableReplicas ?? 0,
        age(obj, ctx),
        ...wideCells(d.spec?.template, d.spec?.selector),
      ];
    },
    fieldSelectors: {},
  };
}
