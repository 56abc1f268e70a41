// core/v1 services: Kubernetes' defaults (type ClusterIP, protocol TCP, targetPort = port, traffic
// policies, IP families), validation in its words, the status strategy and `kubectl get svc` columns.
// Cluster IPs and node ports are handed out by the API server's allocator (src/apiserver/services),
// which runs before validation as Kubernetes' BeginCreate does.
import { isIP } from 'node:net';
import type { FieldCause } from '../../api/errors.js';
import type { KubeObject, core } from '../../api/types.js';
import { isDNS1123Label, isDNS1123Subdomain, isValidPortName, isValidPortNum, nameIsDNS1035Label } from '../../api/names.js';
import type { ResourceDefinition } from './types.js';
import {
  GoLiteral, age, ageColumn, allVerbs, clone, col, deepEqual, fe, nameColumn, prepareForCreate, prepareForStatusUpdate, prepareForUpdate, specOf,
  validateLabels, validateObjectMeta, validateObjectMetaUpdate, type StrategyRules,
} from './common.js';

type Service = core.Service;
type ServicePort = core.ServicePort;

export const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const TRAFFIC_POLICIES = ['Cluster', 'Local'];
export const CLUSTER_IP_NONE = 'None';
const DEFAULT_CLIENT_IP_TIMEOUT_SECONDS = 10800;

const metaRules = { namespaced: true, nameValidator: nameIsDNS1035Label };
const strategy: StrategyRules = { hasStatus: true, tracksGeneration: false, initialStatus: () => ({ loadBalancer: {} }) };

export function isHeadless(svc: Service): boolean {
  return svc.spec?.clusterIP === CLUSTER_IP_NONE;
}

/** NodePort and LoadBalancer Services are reachable from outside the cluster and get node ports. */
export function isExternallyAccessible(type: string | undefined): boolean {
  return type === 'NodePort' || type === 'LoadBalancer';
}

/** Whether the ports of a Service of this shape need node ports. */
export function needsNodePorts(svc: Service): boolean {
  const t = svc.spec?.type;
  return t === 'NodePort' || (t === 'LoadBalancer' && svc.spec?.allocateLoadBalancerNodePorts !== false);
}

/** Whether the Service needs a cluster IP from the service CIDR. */
export function needsClusterIP(svc: Service): boolean {
  return svc.spec?.type !== 'ExternalName' && !isHeadless(svc);
}

/** core.ServicePort{...} as Go's %#v prints it in a Duplicate error. */
function goServicePort(p: ServicePort): GoLiteral {
  const tp = p.targetPort;
  const target = typeof tp === 'number' ? `intstr.IntOrString{Type:0, IntVal:${tp}, StrVal:""}` : `intstr.IntOrString{Type:1, IntVal:0, StrVal:${JSON.stringify(tp ?? '')}}`;
  return new GoLiteral(
    `core.ServicePort{Name:${JSON.stringify(p.name ?? '')}, Protocol:${JSON.stringify(p.protocol ?? '')}, AppProtocol:(*string)(nil), Port:${p.port ?? 0}, TargetPort:${target}, NodePort:${p.nodePort ?? 0}}`,
  );
}

function goStringSlice(v: readonly string[] | undefined): GoLiteral {
  return new GoLiteral(v ? `[]string{${v.map((s) => JSON.stringify(s)).join(', ')}}` : '[]string(nil)');
}

function applyDefaults(obj: KubeObject): void {
  const spec = specOf<core.ServiceSpec>(obj);
  spec.type ??= 'ClusterIP';
  spec.sessionAffinity ??= 'None';
  if (spec.sessionAffinity === 'ClientIP') {
    const cfg = (spec.sessionAffinityConfig ??= {});
    const clientIP = (cfg.clientIP ??= {});
    clientIP.timeoutSeconds ??= DEFAULT_CLIENT_IP_TIMEOUT_SECONDS;
  }
  for (const p of spec.ports ?? []) {
    p.protocol ??= 'TCP';
    if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
  }
  if (isExternallyAccessible(spec.type) || (spec.externalIPs?.length ?? 0) > 0) spec.externalTrafficPolicy ??= 'Cluster';
  if (spec.type === 'LoadBalancer') spec.allocateLoadBalancerNodePorts ??= true;
  if (spec.type === 'ExternalName') return;
  spec.internalTrafficPolicy ??= 'Cluster';
  // clusterIP and clusterIPs[0] say the same thing; either may be given.
  if (spec.clusterIP && !spec.clusterIPs?.length) spec.clusterIPs = [spec.clusterIP];
  else if (!spec.clusterIP && spec.clusterIPs?.length) spec.clusterIP = spec.clusterIPs[0];
  // A single-stack IPv4 cluster: headless Services without a selector may span every family there is.
  const selectorless = Object.keys(spec.selector ?? {}).length === 0;
  spec.ipFamilyPolicy ??= spec.clusterIP === CLUSTER_IP_NONE && selectorless ? 'RequireDualStack' : 'SingleStack';
  if (!spec.ipFamilies?.length) spec.ipFamilies = ['IPv4'];
}

function validatePorts(svc: Service): FieldCause[] {
  const spec = svc.spec ?? {};
  const ports = spec.ports ?? [];
  const errs: FieldCause[] = [];
  if (ports.length === 0 && spec.type !== 'ExternalName' && !isHeadless(svc)) errs.push(fe.required('spec.ports'));
  const names = new Set<string>();
  const keys = new Set<string>();
  ports.forEach((p, i) => {
    const path = `spec.ports[${i}]`;
    if (ports.length > 1 && !p.name) errs.push(fe.required(`${path}.name`));
    else if (p.name) {
      for (const m of isDNS1123Label(p.name)) errs.push(fe.invalid(`${path}.name`, p.name, m));
      if (names.has(p.name)) errs.push(fe.duplicate(`${path}.name`, p.name));
      names.add(p.name);
    }
    for (const m of isValidPortNum(p.port ?? 0)) errs.push(fe.invalid(`${path}.port`, p.port ?? 0, m));
    if (!p.protocol) errs.push(fe.required(`${path}.protocol`));
    else if (!PROTOCOLS.includes(p.protocol)) errs.push(fe.notSupported(`${path}.protocol`, p.protocol, PROTOCOLS));
    const tp = p.targetPort;
    if (typeof tp === 'number') for (const m of isValidPortNum(tp)) errs.push(fe.invalid(`${path}.targetPort`, tp, m));
    else if (typeof tp === 'string') for (const m of isValidPortName(tp)) errs.push(fe.invalid(`${path}.targetPort`, tp, m));
    if (p.nodePort !== undefined && p.nodePort !== 0) {
      if (spec.type === 'ClusterIP') errs.push(fe.forbidden(`${path}.nodePort`, "may not be used when `type` is 'ClusterIP'"));
      else for (const m of isValidPortNum(p.nodePort)) errs.push(fe.invalid(`${path}.nodePort`, p.nodePort, m));
    }
    const key = `${p.port}/${p.protocol}`;
    if (keys.has(key)) errs.push(fe.duplicate(path, goServicePort(p)));
    keys.add(key);
  });
  return errs;
}

function validateClusterIPs(svc: Service): FieldCause[] {
  const spec = svc.spec ?? {};
  const errs: FieldCause[] = [];
  const ips = spec.clusterIPs ?? [];
  if (spec.type === 'ExternalName') {
    if (spec.clusterIP || ips.length > 0) errs.push(fe.forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
    if (spec.ipFamilyPolicy) errs.push(fe.forbidden('spec.ipFamilyPolicy', 'may not be set for ExternalName services'));
    if (spec.ipFamilies?.length) errs.push(fe.forbidden('spec.ipFamilies', 'may not be set for ExternalName services'));
    return errs;
  }
  if (spec.clusterIP && ips.length > 0 && ips[0] !== spec.clusterIP) errs.push(fe.invalid('spec.clusterIPs', goStringSlice(ips), 'first value must match `clusterIP`'));
  ips.forEach((ip, i) => {
    if (ip === CLUSTER_IP_NONE) {
      if (i > 0 || ips.length > 1) errs.push(fe.invalid(`spec.clusterIPs[${i}]`, ip, "'None' must be the first and only value"));
      else if (isExternallyAccessible(spec.type)) errs.push(fe.invalid(`spec.clusterIPs[${i}]`, ip, `may not be set to 'None' for ${spec.type} services`));
    } else if (isIP(ip) === 0) {
      errs.push(fe.invalid(`spec.clusterIPs[${i}]`, ip, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'));
    }
  });
  if (ips.length > 1) errs.push(fe.invalid('spec.clusterIPs', goStringSlice(ips), 'may only hold two values when this cluster serves two IP families; this cluster serves IPv4 only'));
  const policies = ['SingleStack', 'PreferDualStack', 'RequireDualStack'];
  if (spec.ipFamilyPolicy && !policies.includes(spec.ipFamilyPolicy)) errs.push(fe.notSupported('spec.ipFamilyPolicy', spec.ipFamilyPolicy, policies));
  (spec.ipFamilies ?? []).forEach((f, i) => {
    if (f !== 'IPv4' && f !== 'IPv6') errs.push(fe.notSupported(`spec.ipFamilies[${i}]`, f, ['IPv4', 'IPv6']));
    else if (f === 'IPv6') errs.push(fe.invalid(`spec.ipFamilies[${i}]`, f, 'not configured on this cluster'));
  });
  return errs;
}

function validateSpec(svc: Service): FieldCause[] {
  const spec = svc.spec;
  if (!spec) return [fe.required('spec.ports')];
  const errs: FieldCause[] = [];
  if (spec.type && !SERVICE_TYPES.includes(spec.type)) errs.push(fe.notSupported('spec.type', spec.type, SERVICE_TYPES));
  errs.push(...validateClusterIPs(svc));
  if (spec.type === 'ExternalName') {
    if (!spec.externalName) errs.push(fe.required('spec.externalName'));
    else for (const m of isDNS1123Subdomain(spec.externalName.replace(/\.$/, ''))) errs.push(fe.invalid('spec.externalName', spec.externalName, m));
  }
  errs.push(...validatePorts(svc));
  errs.push(...validateLabels(spec.selector, 'spec.selector'));
  if (spec.sessionAffinity && !['ClientIP', 'None'].includes(spec.sessionAffinity)) errs.push(fe.notSupported('spec.sessionAffinity', spec.sessionAffinity, ['ClientIP', 'None']));
  const timeout = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
  if (spec.sessionAffinity === 'ClientIP' && timeout !== undefined && (timeout <= 0 || timeout > 86400)) {
    errs.push(fe.invalid('spec.sessionAffinityConfig.clientIP.timeoutSeconds', timeout, 'must be greater than 0 and less than 86400'));
  }
  (spec.externalIPs ?? []).forEach((ip, i) => {
    if (isIP(ip) === 0) errs.push(fe.invalid(`spec.externalIPs[${i}]`, ip, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'));
  });
  if (spec.externalTrafficPolicy !== undefined) {
    if (!isExternallyAccessible(spec.type) && (spec.externalIPs?.length ?? 0) === 0) {
      errs.push(fe.invalid('spec.externalTrafficPolicy', spec.externalTrafficPolicy, 'may only be set for externally-accessible services'));
    } else if (!TRAFFIC_POLICIES.includes(spec.externalTrafficPolicy)) {
      errs.push(fe.notSupported('spec.externalTrafficPolicy', spec.externalTrafficPolicy, TRAFFIC_POLICIES));
    }
  } else if (isExternallyAccessible(spec.type)) {
    errs.push(fe.required('spec.externalTrafficPolicy'));
  }
  if (spec.internalTrafficPolicy !== undefined && !TRAFFIC_POLICIES.includes(spec.internalTrafficPolicy)) {
    errs.push(fe.notSupported('spec.internalTrafficPolicy', spec.internalTrafficPolicy, TRAFFIC_POLICIES));
  }
  return errs;
}

/**
 * Kubernetes' PatchAllocatedValues: an update that leaves out the cluster IP or a node port keeps
 * the one already allocated (`kubectl replace` with a manifest that never named them).
 */
/**
 * Kubernetes' NormalizeClusterIPs on update: a change to only one of clusterIP / clusterIPs is carried to the
 * other, so that `kubectl patch -p '{"spec":{"clusterIP":"…"}}'` is judged as a change of the primary
 * address (`spec.clusterIPs[0]: … may not change once set`) rather than as the two fields disagreeing.
 */
function normalizeClusterIPs(svc: Service, old: Service): void {
  const spec = specOf<core.ServiceSpec>(svc as KubeObject);
  const before = old.spec ?? {};
  const ipsBefore = before.clusterIPs ?? [];
  const ipsNow = spec.clusterIPs ?? [];
  const sameIPs = ipsNow.length === ipsBefore.length && ipsNow.every((ip, i) => ip === ipsBefore[i]);
  if ((spec.clusterIP ?? '') !== (before.clusterIP ?? '') && sameIPs) {
    if (!spec.clusterIP) delete spec.clusterIPs;
    else if (ipsNow.length > 0) spec.clusterIPs = [spec.clusterIP, ...ipsNow.slice(1)];
  } else if ((spec.clusterIP ?? '') === (before.clusterIP ?? '') && !sameIPs && ipsNow.length > 0) {
    spec.clusterIP = ipsNow[0];
  }
}

function keepAllocatedValues(svc: Service, old: Service): void {
  const spec = specOf<core.ServiceSpec>(svc as KubeObject);
  const before = old.spec ?? {};
  if (spec.type !== 'ExternalName' && before.type !== 'ExternalName') {
    if (!spec.clusterIP && !spec.clusterIPs?.length && before.clusterIP) {
      spec.clusterIP = before.clusterIP;
      spec.clusterIPs = clone(before.clusterIPs ?? [before.clusterIP]);
    }
  }
  if (needsNodePorts(svc) && needsNodePorts(old)) {
    for (const p of spec.ports ?? []) {
      if (p.nodePort) continue;
      const prev = (before.ports ?? []).find((o) => o.port === p.port && (o.protocol ?? 'TCP') === (p.protocol ?? 'TCP'));
      if (prev?.nodePort) p.nodePort = prev.nodePort;
    }
  }
}

/** Kubernetes' dropTypeDependentFields: fields of the old type go with it when the user did not change them. */
function dropTypeDependentFields(svc: Service, old: Service): void {
  const spec = specOf<core.ServiceSpec>(svc as KubeObject);
  const before = old.spec ?? {};
  if (spec.type === before.type) return;
  if (!needsNodePorts(svc) && needsNodePorts(old)) {
    for (const p of spec.ports ?? []) {
      const prev = (before.ports ?? []).find((o) => o.port === p.port && o.protocol === p.protocol);
      if (prev && p.nodePort === prev.nodePort) delete p.nodePort;
    }
  }
  if (!isExternallyAccessible(spec.type) && !(spec.externalIPs?.length) && spec.externalTrafficPolicy === before.externalTrafficPolicy) delete spec.externalTrafficPolicy;
  if (spec.type !== 'LoadBalancer' && spec.allocateLoadBalancerNodePorts === before.allocateLoadBalancerNodePorts) delete spec.allocateLoadBalancerNodePorts;
  if (spec.type === 'ExternalName') {
    if (deepEqual(spec.clusterIPs, before.clusterIPs)) delete spec.clusterIPs;
    if (spec.clusterIP === before.clusterIP) delete spec.clusterIP;
    if (deepEqual(spec.ipFamilies, before.ipFamilies)) delete spec.ipFamilies;
    if (spec.ipFamilyPolicy === before.ipFamilyPolicy) delete spec.ipFamilyPolicy;
    if (spec.internalTrafficPolicy === before.internalTrafficPolicy) delete spec.internalTrafficPolicy;
  }
}

function validateUpdate(svc: Service, old: Service): FieldCause[] {
  const errs = validateSpec(svc);
  const spec = svc.spec ?? {};
  const before = old.spec ?? {};
  if (spec.type !== 'ExternalName' && before.type !== 'ExternalName') {
    const was = before.clusterIPs ?? (before.clusterIP ? [before.clusterIP] : []);
    const now = spec.clusterIPs ?? [];
    if (was.length > 0 && now[0] !== was[0]) errs.push(fe.invalid('spec.clusterIPs[0]', goStringSlice(now), 'may not change once set'));
  }
  return errs;
}

// ---- table ----------------------------------------------------------------------------------

function externalIP(svc: Service): string {
  const spec = svc.spec ?? {};
  const external = spec.externalIPs ?? [];
  switch (spec.type) {
    case 'ExternalName':
      return spec.externalName ?? '<none>';
    case 'LoadBalancer': {
      const ingress = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip || i.hostname || '').filter(Boolean);
      const all = [...ingress, ...external];
      return all.length ? all.join(',') : '<pending>';
    }
    default:
      return external.length ? external.join(',') : '<none>';
  }
}

/** `8080/TCP`, `80:31234/TCP`, comma-separated; `<none>` without ports. */
export function portsString(ports: readonly ServicePort[] | undefined): string {
  if (!ports?.length) return '<none>';
  return ports.map((p) => (p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol}` : `${p.port}/${p.protocol}`)).join(',');
}

function selectorString(sel: Record<string, string> | undefined): string {
  const keys = Object.keys(sel ?? {}).sort();
  return keys.length ? keys.map((k) => `${k}=${sel![k]}`).join(',') : '<none>';
}

export function services(): ResourceDefinition {
  return {
    group: '',
    version: 'v1',
    resource: 'services',
    singular: 'service',
    kind: 'Service',
    listKind: 'ServiceList',
    namespaced: true,
    shortNames: ['svc'],
    categories: ['all'],
    verbs: allVerbs,
    subresources: { status: true },
    applyDefaults,
    validateCreate: (obj) => [...validateObjectMeta(obj.metadata, metaRules), ...validateSpec(obj as Service)],
    validateUpdate: (obj, old) => [...validateObjectMetaUpdate(obj.metadata, old.metadata, metaRules), ...validateUpdate(obj as Service, old as Service)],
    validateStatusUpdate(obj, old) {
      const errs = validateObjectMetaUpdate(obj.metadata, old.metadata, metaRules);
      ((obj as Service).status?.loadBalancer?.ingress ?? []).forEach((ing, i) => {
        if (ing.ip && isIP(ing.ip) === 0) errs.push(fe.invalid(`status.loadBalancer.ingress[${i}].ip`, ing.ip, 'must be a valid IP address'));
      });
      return errs;
    },
    prepareForCreate: (obj) => prepareForCreate(obj, strategy),
    prepareForUpdate(obj, old) {
      prepareForUpdate(obj, old, strategy);
      normalizeClusterIPs(obj as Service, old as Service);
      keepAllocatedValues(obj as Service, old as Service);
      dropTypeDependentFields(obj as Service, old as Service);
      applyDefaults(obj);
    },
    prepareForStatusUpdate: (obj, old) => prepareForStatusUpdate(obj, old, { keepLabels: false }),
    tableColumns: [
      nameColumn,
      col('Type', 'string', 'type determines how the Service is exposed: ClusterIP, NodePort, LoadBalancer or ExternalName.'),
      col('Cluster-IP', 'string', 'clusterIP is the IP address of the service, allocated by the control plane.'),
      col('External-IP', 'string', 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.'),
      col('Port(s)', 'string', 'The list of ports that are exposed by this service.'),
      ageColumn,
      col('Selector', 'string', 'Route service traffic to pods with label keys and values matching this selector.', 1),
    ],
    tableRow(obj: KubeObject, ctx) {
      const svc = obj as Service;
      return [
        svc.metadata?.name ?? '',
        svc.spec?.type ?? '',
        svc.spec?.clusterIP || '<none>',
        externalIP(svc),
        portsString(svc.spec?.ports),
        age(obj, ctx),
        selectorString(svc.spec?.selector),
      ];
    },
    fieldSelectors: {
      'spec.clusterIP': (o) => (o as Service).spec?.clusterIP ?? '',
      'spec.type': (o) => (o as Service).spec?.type ?? '',
    },
  };
}
