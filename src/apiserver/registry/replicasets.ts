// apps/v1 replicasets: replicas default 1, selector required and immutable, scale subresource.
import type { KubeObject, apps } from '../../api/types.js';
import { nameIsDNSSubdomain } from '../../api/names.js';
import type { ResourceDefinition } from './types.js';
import {
  age, ageColumn, allVerbs, col, fe, goLabelSelector, deepEqual, nameColumn, nonNegative, prepareForCreate,
  prepareForStatusUpdate, prepareForUpdate, specOf, validateObjectMeta, validateObjectMetaUpdate, type StrategyRules,
} from './common.js';
import { defaultTemplate, scaleSelector, validateSelectorAndTemplate, wideCells, wideColumns } from './workload.js';

type ReplicaSet = apps.ReplicaSet;
const metaRules = { namespaced: true, nameValidator: nameIsDNSSubdomain };
const strategy: StrategyRules = { hasStatus: true, tracksGeneration: true };

function validateSpec(rs: ReplicaSet) {
  const spec = rs.spec;
  if (!spec) return [fe.required('spec.selector'), fe.required('spec.template')];
  return [
    ...nonNegative('spec.replicas', spec.replicas),
    ...nonNegative('spec.minReadySeconds', spec.minReadySeconds),
    ...validateSelectorAndTemplate(spec.selector, spec.template, 'replicaset'),
  ];
}

function validateStatus(rs: ReplicaSet) {
  const s = rs.status;
  if (!s) return [];
  const errs = [
    ...nonNegative('status.replicas', s.replicas),
    ...nonNegative('status.fullyLabeledReplicas', s.fullyLabeledReplicas),
    ...nonNegative('status.readyReplicas', s.readyReplicas),
    ...nonNegative('status.availableReplicas', s.availableReplicas),
    ...nonNegative('status.observedGeneration', s.observedGeneration),
  ];
  if ((s.readyReplicas ?? 0) > (s.replicas ?? 0)) errs.push(fe.invalid('status.readyReplicas', s.readyReplicas, 'cannot be greater than status.replicas'));
  if ((s.availableReplicas ?? 0) > (s.replicas ?? 0)) errs.push(fe.invalid('status.availableReplicas', s.availableReplicas, 'cannot be greater than status.replicas'));
  if ((s.availableReplicas ?? 0) > (s.readyReplicas ?? 0)) errs.push(fe.invalid('status.availableReplicas', s.availableReplicas, 'cannot be greater than readyReplicas'));
  return errs;
}

export function replicaSets(): ResourceDefinition {
  return {
    group: 'apps',
    version: 'v1',
    resource: 'replicasets',
    singular: 'replicaset',
    kind: 'ReplicaSet',
    listKind: 'ReplicaSetList',
    namespaced: true,
    shortNames: ['rs'],
    categories: ['all'],
    verbs: allVerbs,
    subresources: {
      status: true,
      scale: {
        specReplicasPath: 'spec.replicas',
        statusReplicasPath: 'status.replicas',
        selector: (obj) => scaleSelector((obj as ReplicaSet).spec?.selector),
      },
    },
    applyDefaults(obj) {
      const spec = specOf<apps.ReplicaSetSpec>(obj);
      spec.replicas ??= 1;
      defaultTemplate(spec.template);
    },
    validateCreate(obj) {
      return [...validateObjectMeta(obj.metadata, metaRules), ...validateSpec(obj as ReplicaSet)];
    },
    validateUpdate(obj, old) {
      const errs = [...validateObjectMetaUpdate(obj.metadata, old.metadata, metaRules), ...validateSpec(obj as ReplicaSet)];
      const sel = (obj as ReplicaSet).spec?.selector;
      if (!deepEqual(sel, (old as ReplicaSet).spec?.selector)) errs.push(fe.immutable('spec.selector', goLabelSelector(sel)));
      return errs;
    },
    validateStatusUpdate(obj, old) {
      return [...validateObjectMetaUpdate(obj.metadata, old.metadata, metaRules), ...validateStatus(obj as ReplicaSet)];
    },
    prepareForCreate: (obj) => prepareForCreate(obj, strategy),
    prepareForUpdate: (obj, old) => prepareForUpdate(obj, old, strategy),
    prepareForStatusUpdate: (obj, old) => prepareForStatusUpdate(obj, old, { keepLabels: true }),
    tableColumns: [
      nameColumn,
      col('Desired', 'integer', 'Replicas is the number of desired pods. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicaset/#how-a-replicaset-works'),
      col('Current', 'integer', 'Replicas is the most recently observed number of non-terminating pods. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicaset/#how-a-replicaset-works'),
      col('Ready', 'integer', 'The number of non-terminating pods targeted by this ReplicaSet with a Ready Condition.'),
      ageColumn,
      ...wideColumns,
    ],
    tableRow(obj: KubeObject, ctx) {
      const rs = obj as ReplicaSet;
      return [
        rs.metadata?.name ?? '',
        rs.spec?.replicas ?? 0,
        rs.status?.replicas ?? 0,
        rs.status?.readyReplicas ?? 0,
        age(obj, ctx),
        ...wideCells(rs.spec?.template, rs.spec?.selector),
      ];
    },
    fieldSelectors: {
      'status.replicas': (o) => String((o as ReplicaSet).status?.replicas ?? 0),
    },
  };
}
