// core/v1 namespaces: DNS-1123 label names, phase Active on create, the "kubernetes"
// finalizer, and the kubernetes.io/metadata.name label Kubernetes stamps on every namespace.
import type { KubeObject, core } from '../../api/types.js';
import { nameIsDNSLabel } from '../../api/names.js';
import type { ResourceDefinition } from './types.js';
import {
  age, ageColumn, allVerbs, col, fe, metaOf, nameColumn, prepareForCreate, prepareForStatusUpdate, prepareForUpdate,
  specOf, validateObjectMeta, validateObjectMetaUpdate, type StrategyRules,
} from './common.js';

type Namespace = core.Namespace;
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';
const metaRules = { namespaced: false, nameValidator: nameIsDNSLabel };
const strategy: StrategyRules = { hasStatus: true, tracksGeneration: false, initialStatus: () => ({ phase: 'Active' }) };

export function namespaces(): ResourceDefinition {
  return {
    group: '',
    version: 'v1',
    resource: 'namespaces',
    singular: 'namespace',
    kind: 'Namespace',
    listKind: 'NamespaceList',
    namespaced: false,
    shortNames: ['ns'],
    categories: [],
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    subresources: { status: true },
    applyDefaults(obj) {
      const name = obj.metadata?.name;
      if (name) {
        const m = metaOf(obj);
        m.labels = { ...(m.labels ?? {}), [NAMESPACE_NAME_LABEL]: name };
      }
    },
    validateCreate(obj) {
      return validateObjectMeta(obj.metadata, metaRules);
    },
    validateUpdate(obj, old) {
      const errs = validateObjectMetaUpdate(obj.metadata, old.metadata, metaRules);
      const phase = (obj as Namespace).status?.phase;
      if (phase !== undefined && phase !== 'Active' && phase !== 'Terminating') errs.push(fe.notSupported('status.phase', phase, ['Active', 'Terminating']));
      return errs;
    },
    validateStatusUpdate(obj, old) {
      return validateObjectMetaUpdate(obj.metadata, old.metadata, metaRules);
    },
    prepareForCreate(obj) {
      prepareForCreate(obj, strategy);
      const spec = specOf<core.NamespaceSpec>(obj);
      const fins = new Set(spec.finalizers ?? []);
      fins.add('kubernetes');
      spec.finalizers = [...fins];
    },
    prepareForUpdate(obj, old) {
      prepareForUpdate(obj, old, strategy);
      // Finalizers in spec are only changed through the finalize subresource.
      if ((old as Namespace).spec) obj.spec = JSON.parse(JSON.stringify((old as Namespace).spec));
    },
    prepareForStatusUpdate: (obj, old) => prepareForStatusUpdate(obj, old, { keepLabels: false }),
    tableColumns: [nameColumn, col('Status', 'string', 'The status of the namespace'), ageColumn],
    tableRow(obj: KubeObject, ctx) {
      return [obj.metadata?.name ?? '', (obj as Namespace).status?.phase ?? '', age(obj, ctx)];
    },
    fieldSelectors: {
      'status.phase': (o) => (o as Namespace).status?.phase ?? '',
    },
  };
}
