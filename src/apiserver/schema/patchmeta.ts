// How lists and maps of our types merge under strategic merge patch, and how server-side
// apply sees them: Kubernetes' patchStrategy / patchMergeKey / listType struct tags, which
// neither kubernetes-types nor client-node carry. Keyed by definition name and field.
//
// Lists absent from this table are atomic: a patch replaces them whole (e.g. tolerations,
// node taints, container args).

/** Patch metadata of a list (or, for retainKeys, a struct) field. */
export interface ListPatchMeta {
  /** 'merge' merges list items by mergeKey (or, for primitive lists, as a set). */
  strategy?: 'merge' | 'merge,retainKeys' | 'retainKeys';
  mergeKey?: string;
  listType?: 'atomic' | 'set' | 'map';
  listMapKeys?: string[];
}

const core = 'io.k8s.api.core.v1';
const apps = 'io.k8s.api.apps.v1';
const meta = 'io.k8s.apimachinery.pkg.apis.meta.v1';

const containerLists: Record<string, ListPatchMeta> = {
  ports: { strategy: 'merge', mergeKey: 'containerPort', listType: 'map', listMapKeys: ['containerPort', 'protocol'] },
  env: { strategy: 'merge', mergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
  volumeMounts: { strategy: 'merge', mergeKey: 'mountPath', listType: 'map', listMapKeys: ['mountPath'] },
  volumeDevices: { strategy: 'merge', mergeKey: 'devicePath', listType: 'map', listMapKeys: ['devicePath'] },
  resizePolicy: { listType: 'atomic' },
};

const conditionsByType: ListPatchMeta = { strategy: 'merge', mergeKey: 'type', listType: 'map', listMapKeys: ['type'] };

export const patchMeta: Record<string, Record<string, ListPatchMeta>> = {
  [`${meta}.ObjectMeta`]: {
    finalizers: { strategy: 'merge', listType: 'set' },
    ownerReferences: { strategy: 'merge', mergeKey: 'uid', listType: 'map', listMapKeys: ['uid'] },
  },
  [`${core}.PodSpec`]: {
    containers: { strategy: 'merge', mergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
    initContainers: { strategy: 'merge', mergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
    ephemeralContainers: { strategy: 'merge', mergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
    volumes: { strategy: 'merge,retainKeys', mergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
    imagePullSecrets: { strategy: 'merge', mergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
    hostAliases: { strategy: 'merge', mergeKey: 'ip', listType: 'map', listMapKeys: ['ip'] },
    topologySpreadConstraints: { strategy: 'merge', mergeKey: 'topologyKey', listType: 'map', listMapKeys: ['topologyKey', 'whenUnsatisfiable'] },
    schedulingGates: { strategy: 'merge', mergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
    resourceClaims: { strategy: 'merge,retainKeys', mergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
    tolerations: { listType: 'atomic' },
  },
  [`${core}.Container`]: containerLists,
  [`${core}.EphemeralContainer`]: containerLists,
  [`${core}.PodStatus`]: {
    conditions: conditionsByType,
    podIPs: { strategy: 'merge', mergeKey: 'ip', listType: 'map', listMapKeys: ['ip'] },
    hostIPs: { strategy: 'merge', mergeKey: 'ip', listType: 'map', listMapKeys: ['ip'] },
    resourceClaimStatuses: { strategy: 'merge,retainKeys', mergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
  },
  [`${core}.NodeStatus`]: {
    conditions: conditionsByType,
    addresses: { strategy: 'merge', mergeKey: 'type', listType: 'map', listMapKeys: ['type'] },
  },
  [`${core}.NodeSpec`]: { taints: { listType: 'atomic' } },
  [`${core}.ServiceSpec`]: {
    ports: { strategy: 'merge', mergeKey: 'port', listType: 'map', listMapKeys: ['port', 'protocol'] },
    clusterIPs: { listType: 'atomic' },
    ipFamilies: { listType: 'atomic' },
    externalIPs: { listType: 'atomic' },
  },
  [`${core}.ServiceStatus`]: { conditions: { strategy: 'merge', mergeKey: 'type', listType: 'map', listMapKeys: ['type'] } },
  [`${core}.Endpoints`]: { subsets: { listType: 'atomic' } },
  ['io.k8s.api.discovery.v1.EndpointSlice']: { endpoints: { listType: 'atomic' }, ports: { listType: 'atomic' } },
  [`${core}.NamespaceStatus`]: { conditions: conditionsByType },
  // A struct field with retainKeys: keys absent from the patch are cleared (strategy type switch).
  [`${apps}.DeploymentSpec`]: { strategy: { strategy: 'retainKeys' } },
  [`${apps}.DeploymentStatus`]: { conditions: conditionsByType },
  [`${apps}.ReplicaSetStatus`]: { conditions: conditionsByType },
  ['io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerStatus']: { conditions: { ...conditionsByType } },
};

export function listMeta(definition: string, field: string): ListPatchMeta | undefined {
  return patchMeta[definition]?.[field];
}
