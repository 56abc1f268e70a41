// The `kubernetes` Service in `default`: the API server's own address inside the cluster. Like
// kube-apiserver, we create it at start with the first address of the service CIDR (443 → our
// secure port) and keep its Endpoints and EndpointSlice pointing at where we listen.
import { isIPv4 } from 'node:net';
import { ApiError } from '../../api/errors.js';
import type { KubeObject, core, discovery } from '../../api/types.js';
import type { ObjectService } from '../rest/objects.js';
import type { ResourceIndex, ServedResource } from '../resources.js';
import { deepEqual } from '../registry/common.js';

export const KUBERNETES_SERVICE = 'kubernetes';
const NAMESPACE = 'default';
const PORT_NAME = 'https';
const SERVICE_PORT = 443;
/** Kubernetes keeps the endpointslice mirroring controller off the API server's own Endpoints. */
const SKIP_MIRROR_LABEL = 'endpointslice.kubernetes.io/skip-mirror';
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

const write = { dryRun: false, fieldValidation: 'Ignore' as const };

/** The address the Endpoints name: where we listen, or loopback when we listen everywhere. */
export function advertisedAddress(listenAddress: string): string {
  return isIPv4(listenAddress) && listenAddress !== '0.0.0.0' ? listenAddress : '127.0.0.1';
}

export function kubernetesService(clusterIP: string, port: number): core.Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: KUBERNETES_SERVICE, namespace: NAMESPACE, labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: { type: 'ClusterIP', clusterIP, ports: [{ name: PORT_NAME, port: SERVICE_PORT, protocol: 'TCP', targetPort: port }], sessionAffinity: 'None' },
  };
}

export function kubernetesEndpoints(address: string, port: number): core.Endpoints {
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: KUBERNETES_SERVICE, namespace: NAMESPACE, labels: { [SKIP_MIRROR_LABEL]: 'true' } },
    subsets: [{ addresses: [{ ip: address }], ports: [{ name: PORT_NAME, port, protocol: 'TCP' }] }],
  };
}

export function kubernetesEndpointSlice(address: string, port: number): discovery.EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: KUBERNETES_SERVICE, namespace: NAMESPACE, labels: { [SERVICE_NAME_LABEL]: KUBERNETES_SERVICE } },
    addressType: 'IPv4',
    endpoints: [{ addresses: [address], conditions: { ready: true } }],
    ports: [{ name: PORT_NAME, port, protocol: 'TCP' }],
  };
}

/** Creates the object, or replaces the fields we own when they differ from `want`. */
async function ensure(service: ObjectService, r: ServedResource | undefined, want: KubeObject, owned: string[]): Promise<void> {
  if (!r) return;
  const name = want.metadata!.name!;
  let current: KubeObject;
  try {
    current = await service.get(r, NAMESPACE, name);
  } catch (err) {
    if (!(err instanceof ApiError && err.code === 404)) throw err;
    try {
      await service.create(r, NAMESPACE, structuredClone(want), write);
      return;
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 409)) throw e;
      current = await service.get(r, NAMESPACE, name);
    }
  }
  const next = structuredClone(current);
  let changed = false;
  for (const path of owned) {
    const [a, b] = path.split('.') as [string, string | undefined];
    const from = b ? (want[a] as Record<string, unknown> | undefined)?.[b] : want[a];
    const into = b ? ((next[a] ??= {}) as Record<string, unknown>) : (next as Record<string, unknown>);
    const key = b ?? a;
    if (!deepEqual(into[key], from)) {
      into[key] = structuredClone(from);
      changed = true;
    }
  }
  if (changed) await service.update(r, NAMESPACE, name, next, write);
}

/** Publishes the API server at address:port as default/kubernetes (Service, Endpoints, EndpointSlice). */
export async function publishApiServer(service: ObjectService, index: ResourceIndex, clusterIP: string, listenAddress: string, port: number): Promise<void> {
  const address = advertisedAddress(listenAddress);
  const svc = kubernetesService(clusterIP, port) as KubeObject;
  await ensure(service, index.lookup('', 'v1', 'services'), svc, ['spec.ports']);
  await ensure(service, index.lookup('', 'v1', 'endpoints'), kubernetesEndpoints(address, port) as KubeObject, ['subsets']);
  await ensure(service, index.lookup('discovery.k8s.io', 'v1', 'endpointslices'), kubernetesEndpointSlice(address, port) as unknown as KubeObject, ['endpoints', 'ports']);
}
