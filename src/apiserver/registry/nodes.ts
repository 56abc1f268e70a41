// core/v1 nodes: cluster-scoped, status subresource, taint validation, and the kubectl
// table (STATUS "Ready,SchedulingDisabled" when cordoned, ROLES from node-role labels).
import type { FieldCause } from '../../api/errors.js';
import type { KubeObject, core } from '../../api/types.js';
import { isQualifiedName, isValidLabelValue, nameIsDNSSubdomain } from '../../api/names.js';
import type { ResourceDefinition } from './types.js';
import {
  age, ageColumn, allVerbs, col, fe, nameColumn, prepareForCreate, prepareForStatusUpdate, prepareForUpdate,
  validateObjectMeta, validateObjectMetaUpdate, type StrategyRules,
} from './common.js';

type Node = core.Node;
const metaRules = { namespaced: false, nameValidator: nameIsDNSSubdomain };
const strategy: StrategyRules = { hasStatus: true, tracksGeneration: false };
const taintEffects = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

function validateTaints(taints: core.Taint[] | undefined): FieldCause[] {
  const errs: FieldCause[] = [];
  const seen = new Set<string>();
  (taints ?? []).forEach((t, i) => {
    const p = `spec.taints[${i}]`;
    if (!t.key) errs.push(fe.required(`${p}.key`));
    else for (const m of isQualifiedName(t.key)) errs.push(fe.invalid(`${p}.key`, t.key, m));
    if (t.value) for (const m of isValidLabelValue(t.value)) errs.push(fe.invalid(`${p}.value`, t.value, m));
    if (!t.effect) errs.push(fe.required(`${p}.effect`));
    else if (!taintEffects.includes(t.effect)) errs.push(fe.notSupported(`${p}.effect`, t.effect, taintEffects));
    const k = `${t.key}:${t.effect}`;
    if (seen.has(k)) errs.push(fe.duplicate(p, `taints must be unique by key and effect pair`));
    seen.add(k);
  });
  return errs;
}

const ROLE_PREFIX = 'node-role.kubernetes.io/';
const ROLE_LABEL = 'kubernetes.io/role';

/** STATUS column: Ready / NotReady / Unknown, plus SchedulingDisabled when cordoned. */
export function nodeStatus(node: Node): string {
  const ready = (node.status?.conditions ?? []).find((c) => c.type === 'Ready');
  const parts = [ready ? (ready.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown'];
  if (node.spec?.unschedulable) parts.push('SchedulingDisabled');
  return parts.join(',');
}

export function nodeRoles(node: Node): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata?.labels ?? {})) {
    if (k.startsWith(ROLE_PREFIX) && k.length > ROLE_PREFIX.length) roles.add(k.slice(ROLE_PREFIX.length));
    else if (k === ROLE_LABEL && v) roles.add(v);
  }
  return roles.size === 0 ? '<none>' : [...roles].sort().join(',');
}

function address(node: Node, type: string): string {
  return node.status?.addresses?.find((a) => a.type === type)?.address ?? '<none>';
}

export function nodes(): ResourceDefinition {
  return {
    group: '',
    version: 'v1',
    resource: 'nodes',
    singular: 'node',
    kind: 'Node',
    listKind: 'NodeList',
    namespaced: false,
    shortNames: ['no'],
    categories: [],
    verbs: allVerbs,
    subresources: { status: true },
    applyDefaults(obj) {
      // Allocatable defaults to capacity (SetDefaults_NodeStatus).
      const st = (obj as Node).status;
      if (st?.capacity && !st.allocatable) st.allocatable = { ...st.capacity };
    },
    validateCreate(obj) {
      return [...validateObjectMeta(obj.metadata, metaRules), ...validateTaints((obj as Node).spec?.taints)];
    },
    validateUpdate(obj, old) {
      const errs = [...validateObjectMetaUpdate(obj.metadata, old.metadata, metaRules), ...validateTaints((obj as Node).spec?.taints)];
      const oldCIDR = (old as Node).spec?.podCIDR;
      if (oldCIDR && (obj as Node).spec?.podCIDR !== oldCIDR) errs.push(fe.forbidden('spec.podCIDR', 'node updates may not change podCIDR except from "" to valid'));
      return errs;
    },
    validateStatusUpdate(obj, old) {
      return validateObjectMetaUpdate(obj.metadata, old.metadata, metaRules);
    },
    // Nodes register themselves with their status, so create keeps it.
    prepareForCreate: (obj) => prepareForCreate(obj, { ...strategy, initialStatus: (o) => o.status }),
    prepareForUpdate: (obj, old) => prepareForUpdate(obj, old, strategy),
    prepareForStatusUpdate: (obj, old) => prepareForStatusUpdate(obj, old, { keepLabels: false }),
    tableColumns: [
      nameColumn,
      col('Status', 'string', 'The status of the node'),
      col('Roles', 'string', 'The roles of the node'),
      ageColumn,
      col('Version', 'string', 'Kubelet Version reported by the node.'),
      col('Internal-IP', 'string', 'List of addresses reachable to the node. Queried from cloud provider, if available.', 1),
      col('External-IP', 'string', 'List of addresses reachable to the node. Queried from cloud provider, if available.', 1),
      col('OS-Image', 'string', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', 1),
      col('Kernel-Version', 'string', "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1),
      col('Container-Runtime', 'string', 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).', 1),
    ],
    tableRow(obj: KubeObject, ctx) {
      const node = obj as Node;
      const info = node.status?.nodeInfo;
      return [
        node.metadata?.name ?? '',
        nodeStatus(node),
        nodeRoles(node),
        age(obj, ctx),
        info?.kubeletVersion ?? '',
        address(node, 'InternalIP'),
        address(node, 'ExternalIP'),
        info?.osImage || '<unknown>',
        info?.kernelVersion || '<unknown>',
        info?.containerRuntimeVersion || '<unknown>',
      ];
    },
    fieldSelectors: {
      'spec.unschedulable': (o) => String((o as Node).spec?.unschedulable ?? false),
    },
  };
}
