// coordination.k8s.io/v1 leases: leader election and node heartbeats.
import type { KubeObject, coordination } from '../../api/types.js';
import { nameIsDNSSubdomain } from '../../api/names.js';
import type { ResourceDefinition } from './types.js';
import { age, ageColumn, allVerbs, col, fe, nameColumn, nonNegative, validateObjectMeta, validateObjectMetaUpdate } from './common.js';

type Lease = coordination.Lease;
const metaRules = { namespaced: true, nameValidator: nameIsDNSSubdomain };

function validateSpec(l: Lease) {
  const s = l.spec;
  if (!s) return [];
  const errs = nonNegative('spec.leaseTransitions', s.leaseTransitions);
  if (s.leaseDurationSeconds !== undefined && s.leaseDurationSeconds <= 0) {
    errs.push(fe.invalid('spec.leaseDurationSeconds', s.leaseDurationSeconds, 'must be greater than 0'));
  }
  return errs;
}

export function leases(): ResourceDefinition {
  return {
    group: 'coordination.k8s.io',
    version: 'v1',
    resource: 'leases',
    singular: 'lease',
    kind: 'Lease',
    listKind: 'LeaseList',
    namespaced: true,
    shortNames: [],
    categories: [],
    verbs: allVerbs,
    subresources: {},
    applyDefaults() {},
    validateCreate: (obj) => [...validateObjectMeta(obj.metadata, metaRules), ...validateSpec(obj as Lease)],
    validateUpdate: (obj, old) => [...validateObjectMetaUpdate(obj.metadata, old.metadata, metaRules), ...validateSpec(obj as Lease)],
    prepareForCreate() {},
    prepareForUpdate() {},
    tableColumns: [nameColumn, col('Holder', 'string', 'holderIdentity contains the identity of the holder of a current lease.'), ageColumn],
    tableRow(obj: KubeObject, ctx) {
      return [obj.metadata?.name ?? '', (obj as Lease).spec?.holderIdentity ?? '', age(obj, ctx)];
    },
    fieldSelectors: {},
  };
}
