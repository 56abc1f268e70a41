// Pure translations from a Pod's spec to what the runtime is given: environment, resources, QoS, port mappings.
import { numberValueOf } from '../../api/quantity.js';
import type { core } from '../../api/types.js';
import type { QOSClass } from '../shared/qos.js';

export const CPU_PERIOD_US = 100_000;
const MIN_SHARES = 2;
const MIN_QUOTA_US = 1000;

export interface ContainerResourceSettings {
  cpuShares: number;
  cpuQuota?: number;
  cpuPeriod?: number;
  memoryLimitBytes?: number;
  oomScoreAdj: number;
}

/**
 * cpu requests → shares (1 core = 1024, at least 2), cpu limits → CFS quota over a 100 ms period,
 * memory limits → the cgroup limit, and the OOM score Kubernetes gives each QoS class.
 * Example: requests.cpu 250m → 256 shares; limits.cpu 500m → quota 50000/100000; limits.memory 64Mi → 67108864.
 */
export function containerResources(container: core.Container, qos: QOSClass, memoryCapacityBytes: number): ContainerResourceSettings {
  const req = container.resources?.requests ?? {};
  const lim = container.resources?.limits ?? {};
  const cpuRequest = numberValueOf(req.cpu) ?? numberValueOf(lim.cpu);
  const cpuLimit = numberValueOf(lim.cpu);
  const memLimit = numberValueOf(lim.memory);
  const memRequest = numberValueOf(req.memory) ?? memLimit ?? 0;
  const out: ContainerResourceSettings = {
    cpuShares: Math.max(MIN_SHARES, Math.floor(((cpuRequest ?? 0) * 1000 * 1024) / 1000)),
    oomScoreAdj: qos === 'Guaranteed' ? -997 : qos === 'BestEffort' ? 1000
      : Math.min(999, Math.max(2, 1000 - Math.floor((1000 * memRequest) / Math.max(1, memoryCapacityBytes)))),
  };
  if (cpuLimit !== undefined && cpuLimit > 0) {
    out.cpuQuota = Math.max(MIN_QUOTA_US, Math.floor(cpuLimit * CPU_PERIOD_US));
    out.cpuPeriod = CPU_PERIOD_US;
  }
  if (memLimit !== undefined && memLimit > 0) out.memoryLimitBytes = Math.floor(memLimit);
  return out;
}

/** What a fieldRef may read: the pod as the API has it plus the IPs the agent knows. */
export interface FieldContext {
  pod: core.Pod;
  podIPs: string[];
  hostIP: string;
  nodeName: string;
}

/** The value of a downward-API field path, or an error message Kubernetes would give. */
export function fieldRefValue(path: string, ctx: FieldContext): string {
  const meta = ctx.pod.metadata ?? {};
  const labelOrAnnotation = /^metadata\.(labels|annotations)\['([^']*)'\]$/.exec(path);
  if (labelOrAnnotation) {
    const map = (labelOrAnnotation[1] === 'labels' ? meta.labels : meta.annotations) ?? {};
    return map[labelOrAnnotation[2]!] ?? '';
  }
  switch (path) {
    case 'metadata.name': return meta.name ?? '';
    case 'metadata.namespace': return meta.namespace ?? '';
    case 'metadata.uid': return meta.uid ?? '';
    case 'metadata.labels': return Object.entries(meta.labels ?? {}).map(([k, v]) => `${k}="${v}"`).sort().join('\n');
    case 'metadata.annotations': return Object.entries(meta.annotations ?? {}).map(([k, v]) => `${k}="${v}"`).sort().join('\n');
    case 'spec.nodeName': return ctx.pod.spec?.nodeName ?? ctx.nodeName;
    case 'spec.serviceAccountName': return ctx.pod.spec?.serviceAccountName ?? '';
    case 'status.podIP': return ctx.podIPs[0] ?? '';
    case 'status.podIPs': return ctx.podIPs.join(',');
    case 'status.hostIP': return ctx.hostIP;
    case 'status.hostIPs': return ctx.hostIP;
    default: throw new Error(`unsupported fieldPath: ${path}`);
  }
}

/** limits.cpu etc. through resourceFieldRef, in the divisor's units (rounded up, as Kubernetes does). */
export function resourceFieldValue(ref: core.ResourceFieldSelector, container: core.Container, node: { cpuCores: number; memoryBytes: number }): string {
  const [kind, name] = ref.resource.split('.') as [string, string];
  const list = kind === 'limits' ? container.resources?.limits : container.resources?.requests;
  let value = numberValueOf(list?.[name]);
  if (value === undefined) value = kind === 'limits' ? (name === 'cpu' ? node.cpuCores : name === 'memory' ? node.memoryBytes : 0) : 0;
  const divisor = numberValueOf(ref.divisor ?? '') || 1;
  return String(Math.ceil(value / divisor));
}

/** Looks up ConfigMap and Secret keys for env (valueFrom / envFrom); undefined when missing. */
export interface EnvSources {
  configMap(name: string): Record<string, string> | undefined;
  secret(name: string): Record<string, string> | undefined;
}

/**
 * Expands Kubernetes' $(VAR) references against the variables defined so far; $$ escapes a dollar and
 * references to unknown variables are left as written.
 */
export function expandVars(text: string, vars: Map<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (whole, name: string | undefined) => {
    if (whole === '$$') return '$';
    return name !== undefined && vars.has(name) ? vars.get(name)! : whole;
  });
}

/** The container's environment, in order: envFrom sources, then env entries (later ones win, like Kubernetes). */
export function containerEnv(container: core.Container, ctx: FieldContext, sources: EnvSources, node: { cpuCores: number; memoryBytes: number }): { name: string; value: string }[] {
  const vars = new Map<string, string>();
  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    const data = from.configMapRef ? sources.configMap(from.configMapRef.name ?? '') : from.secretRef ? sources.secret(from.secretRef.name ?? '') : undefined;
    const ref = from.configMapRef ?? from.secretRef;
    if (!data) {
      if (ref && !ref.optional) throw new Error(`${from.configMapRef ? 'configmap' : 'secret'} "${ref.name}" not found`);
      continue;
    }
    for (const [k, v] of Object.entries(data)) vars.set(prefix + k, v);
  }
  for (const env of container.env ?? []) {
    let value: string | undefined;
    if (env.valueFrom?.fieldRef) value = fieldRefValue(env.valueFrom.fieldRef.fieldPath, ctx);
    else if (env.valueFrom?.resourceFieldRef) value = resourceFieldValue(env.valueFrom.resourceFieldRef, container, node);
    else if (env.valueFrom?.configMapKeyRef || env.valueFrom?.secretKeyRef) {
      const ref = (env.valueFrom.configMapKeyRef ?? env.valueFrom.secretKeyRef)!;
      const kind = env.valueFrom.configMapKeyRef ? 'configmap' : 'secret';
      const data = kind === 'configmap' ? sources.configMap(ref.name ?? '') : sources.secret(ref.name ?? '');
      if (!data) { if (ref.optional) continue; throw new Error(`${kind} "${ref.name}" not found`); }
      if (!(ref.key in data)) { if (ref.optional) continue; throw new Error(`couldn't find key ${ref.key} in ${kind === 'configmap' ? 'ConfigMap' : 'Secret'} ${ctx.pod.metadata?.namespace}/${ref.name}`); }
      value = data[ref.key];
    } else value = expandVars(env.value ?? '', vars);
    vars.set(env.name, value ?? '');
  }
  return [...vars].map(([name, value]) => ({ name, value }));
}

/** hostPort entries become the sandbox's port mappings (containerPort → hostIP:hostPort). */
export function portMappings(pod: core.Pod): { protocol: 'TCP' | 'UDP' | 'SCTP'; containerPort: number; hostPort: number; hostIP?: string }[] {
  const out: { protocol: 'TCP' | 'UDP' | 'SCTP'; containerPort: number; hostPort: number; hostIP?: string }[] = [];
  for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort) continue;
      out.push({ protocol: (p.protocol as 'TCP' | 'UDP' | 'SCTP' | undefined) ?? 'TCP', containerPort: p.containerPort, hostPort: p.hostPort, hostIP: p.hostIP });
    }
  }
  return out;
}

/** A named or numbered port of a container (probes use names like "http"). */
export function resolvePort(port: number | string | undefined, container: core.Container): number | undefined {
  if (port === undefined) return undefined;
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

/** The pod's own /etc/hosts: localhost entries, its IP and hostname, and hostAliases. */
export function etcHosts(pod: core.Pod, podIPs: string[], hostname: string): string {
  const lines = [
    '# Kubernetes-managed hosts file.',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
  ];
  const fqdn = pod.spec?.subdomain ? `${hostname}.${pod.spec.subdomain}.${pod.metadata?.namespace}.svc.cluster.local` : '';
  for (const ip of podIPs) lines.push(fqdn ? `${ip}\t${fqdn}\t${hostname}` : `${ip}\t${hostname}`);
  const aliases = pod.spec?.hostAliases ?? [];
  if (aliases.length) {
    lines.push('', '# Entries added by HostAliases.');
    for (const a of aliases) lines.push(`${a.ip}\t${(a.hostnames ?? []).join('\t')}`);
  }
  return lines.join('\n') + '\n';
}

/** The pod's resolv.conf settings by dnsPolicy; null means "the host's" (dnsPolicy Default). */
export function dnsSettings(pod: core.Pod, clusterDNS: string[], clusterDomain = 'cluster.local'): { servers: string[]; searches: string[]; options: string[] } | null {
  const policy = pod.spec?.dnsPolicy ?? 'ClusterFirst';
  const ns = pod.metadata?.namespace ?? 'default';
  const custom = pod.spec?.dnsConfig;
  let base: { servers: string[]; searches: string[]; options: string[] };
  if (policy === 'Default' || (policy === 'ClusterFirst' && pod.spec?.hostNetwork)) {
    if (!custom) return null;
    base = { servers: [], searches: [], options: [] };
  } else if (policy === 'None') {
    base = { servers: [], searches: [], options: [] };
  } else {
    base = { servers: [...clusterDNS], searches: [`${ns}.svc.${clusterDomain}`, `svc.${clusterDomain}`, clusterDomain], options: ['ndots:5'] };
  }
  if (custom) {
    base.servers.push(...(custom.nameservers ?? []));
    base.searches.push(...(custom.searches ?? []));
    const opts = new Map(base.options.map((o) => [o.split(':')[0]!, o]));
    for (const o of custom.options ?? []) opts.set(o.name ?? '', o.value !== undefined ? `${o.name}:${o.value}` : o.name ?? '');
    base.options = [...opts.values()].filter(Boolean);
  }
  return base;
}

/**
 * The fieldPath of a container's events, as the kubelet writes it: `spec.containers{web}` or
 * `spec.initContainers{setup}` (container names are unique across both lists); undefined if the pod has no such container.
 */
export function containerFieldPath(pod: core.Pod, name: string): string | undefined {
  if (pod.spec?.initContainers?.some((c) => c.name === name)) return `spec.initContainers{${name}}`;
  if (pod.spec?.containers?.some((c) => c.name === name)) return `spec.containers{${name}}`;
  return undefined;
}
