// PodSpec defaults and validation, shared by Pods and the pod templates of ReplicaSets and
// Deployments (Kubernetes' SetDefaults_PodSpec / ValidatePodSpec, trimmed to what we serve).
import type { FieldCause } from '../../api/errors.js';
import type { core } from '../../api/types.js';
import { isDNS1123Label, isDNS1123Subdomain, isEnvVarName, isValidPortName, isValidPortNum } from '../../api/names.js';
import { compareQuantities, formatQuantity, parseQuantity, QuantityError, type Quantity } from '../../api/quantity.js';
import { fe, isRecord, nonNegative, validateAnnotations, validateLabels } from './common.js';

type Container = core.Container;
type PodSpec = core.PodSpec;
type Probe = core.Probe;

export const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 30;
export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

/** Image pull policy from the tag: `:latest` or no tag → Always, otherwise IfNotPresent (digests too). */
export function defaultPullPolicy(image: string | undefined): 'Always' | 'IfNotPresent' {
  if (!image) return 'Always';
  if (image.includes('@')) return 'IfNotPresent';
  const lastSlash = image.lastIndexOf('/');
  const colon = image.indexOf(':', lastSlash + 1);
  if (colon < 0) return 'Always';
  return image.slice(colon + 1) === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultProbe(p: Probe | undefined): void {
  if (!p) return;
  p.timeoutSeconds ??= 1;
  p.periodSeconds ??= 10;
  p.successThreshold ??= 1;
  p.failureThreshold ??= 3;
  if (p.httpGet) {
    p.httpGet.path ??= '/';
    p.httpGet.scheme ??= 'HTTP';
  }
}

/** Canonical form of every quantity in a resource list ("0.5" → "500m"); invalid ones are left for validation. */
function canonicalResourceList(list: Record<string, string> | undefined): void {
  if (!list) return;
  for (const [k, v] of Object.entries(list)) {
    try {
      list[k] = formatQuantity(parseQuantity(v));
    } catch {
      /* validation reports it */
    }
  }
}

function defaultContainer(c: Container): void {
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  c.imagePullPolicy ??= defaultPullPolicy(c.image);
  for (const p of c.ports ?? []) p.protocol ??= 'TCP';
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  c.resources ??= {};
  const r = c.resources;
  canonicalResourceList(r.limits);
  canonicalResourceList(r.requests);
  // Requests default to limits for each resource that has a limit but no request.
  if (r.limits && Object.keys(r.limits).length > 0) {
    r.requests ??= {};
    for (const [k, v] of Object.entries(r.limits)) r.requests[k] ??= v;
  }
  for (const e of c.env ?? []) {
    if (e.valueFrom?.fieldRef) e.valueFrom.fieldRef.apiVersion ??= 'v1';
  }
}

/** SetDefaults_PodSpec (and its containers, volumes); mutates in place. */
export function defaultPodSpec(spec: PodSpec): void {
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.securityContext ??= {};
  spec.schedulerName ??= DEFAULT_SCHEDULER_NAME;
  spec.enableServiceLinks ??= true;
  // The Priority admission plugin resolves these when no priorityClassName is given.
  if (!spec.priorityClassName) spec.priority ??= 0;
  spec.preemptionPolicy ??= 'PreemptLowerPriority';
  if (Array.isArray(spec.containers)) for (const c of spec.containers) if (isRecord(c)) defaultContainer(c);
  if (Array.isArray(spec.initContainers)) for (const c of spec.initContainers) if (isRecord(c)) defaultContainer(c);
  for (const v of Array.isArray(spec.volumes) ? spec.volumes : []) {
    if (!isRecord(v)) continue;
    if (v.hostPath) v.hostPath.type ??= '';
    if (v.secret) v.secret.defaultMode ??= 420;
    if (v.configMap) v.configMap.defaultMode ??= 420;
    if (v.downwardAPI) v.downwardAPI.defaultMode ??= 420;
    if (v.projected) v.projected.defaultMode ??= 420;
  }
}

// ---- validation -------------------------------------------------------------------------------

const restartPolicies = ['Always', 'OnFailure', 'Never'];
const dnsPolicies = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const pullPolicies = ['Always', 'IfNotPresent', 'Never'];
const protocols = ['SCTP', 'TCP', 'UDP'];
const terminationMessagePolicies = ['File', 'FallbackToLogsOnError'];
const tolerationOperators = ['Equal', 'Exists'];
const taintEffects = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const volumeSources = [
  'hostPath', 'emptyDir', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'secret', 'nfs', 'iscsi', 'glusterfs',
  'persistentVolumeClaim', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'downwardAPI', 'fc', 'azureFile', 'configMap',
  'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'projected', 'portworxVolume', 'scaleIO', 'storageos',
  'csi', 'ephemeral', 'image',
];

function parseQ(path: string, v: unknown, errs: FieldCause[]): Quantity | undefined {
  try {
    if (typeof v !== 'string' && typeof v !== 'number') throw new QuantityError('');
    return parseQuantity(v);
  } catch (e) {
    errs.push(fe.invalid(path, v, e instanceof QuantityError && e.message ? e.message : "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"));
    return undefined;
  }
}

function validateResources(r: core.ResourceRequirements | undefined, path: string): FieldCause[] {
  const errs: FieldCause[] = [];
  if (!r) return errs;
  const limits = new Map<string, Quantity>();
  for (const [k, v] of Object.entries(r.limits ?? {})) {
    const q = parseQ(`${path}.limits[${k}]`, v, errs);
    if (!q) continue;
    if (q.nanos < 0n) errs.push(fe.invalid(`${path}.limits[${k}]`, v, 'must be greater than or equal to 0'));
    limits.set(k, q);
  }
  for (const [k, v] of Object.entries(r.requests ?? {})) {
    const q = parseQ(`${path}.requests[${k}]`, v, errs);
    if (!q) continue;
    if (q.nanos < 0n) errs.push(fe.invalid(`${path}.requests[${k}]`, v, 'must be greater than or equal to 0'));
    const lim = limits.get(k);
    if (lim && compareQuantities(q, lim) > 0) {
      errs.push(fe.invalid(`${path}.requests[${k}]`, formatQuantity(q), `must be less than or equal to ${k} limit of ${formatQuantity(lim)}`));
    }
  }
  return errs;
}

function validatePortRef(port: unknown, path: string, errs: FieldCause[]): void {
  if (typeof port === 'number') {
    for (const m of isValidPortNum(port)) errs.push(fe.invalid(path, port, m));
  } else if (typeof port === 'string') {
    for (const m of isValidPortName(port)) errs.push(fe.invalid(path, port, m));
  } else {
    errs.push(fe.required(path));
  }
}

function validateProbe(p: Probe | undefined, path: string, kind: 'liveness' | 'readiness' | 'startup'): FieldCause[] {
  const errs: FieldCause[] = [];
  if (!p) return errs;
  const handlers = (['exec', 'httpGet', 'tcpSocket', 'grpc'] as const).filter((h) => p[h] !== undefined);
  if (handlers.length === 0) errs.push(fe.required(path, 'must specify a handler type'));
  for (const h of handlers.slice(1)) errs.push(fe.forbidden(`${path}.${h}`, 'may not specify more than 1 handler type'));
  if (p.httpGet) validatePortRef(p.httpGet.port, `${path}.httpGet.port`, errs);
  if (p.httpGet?.scheme !== undefined && !['HTTP', 'HTTPS'].includes(p.httpGet.scheme)) {
    errs.push(fe.notSupported(`${path}.httpGet.scheme`, p.httpGet.scheme, ['HTTP', 'HTTPS']));
  }
  if (p.tcpSocket) validatePortRef(p.tcpSocket.port, `${path}.tcpSocket.port`, errs);
  if (p.grpc) for (const m of isValidPortNum(p.grpc.port)) errs.push(fe.invalid(`${path}.grpc.port`, p.grpc.port, m));
  if (p.exec && !(p.exec.command?.length)) errs.push(fe.required(`${path}.exec.command`));
  errs.push(...nonNegative(`${path}.initialDelaySeconds`, p.initialDelaySeconds));
  for (const f of ['timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold'] as const) {
    const v = p[f];
    if (v !== undefined && v < 1) errs.push(fe.invalid(`${path}.${f}`, v, 'must be greater than or equal to 1'));
  }
  if ((kind === 'liveness' || kind === 'startup') && p.successThreshold !== undefined && p.successThreshold !== 1) {
    errs.push(fe.invalid(`${path}.successThreshold`, p.successThreshold, 'must be 1'));
  }
  return errs;
}

function validateContainer(c: Container, path: string, volumeNames: Set<string>, init: boolean): FieldCause[] {
  const errs: FieldCause[] = [];
  if (!c.name) errs.push(fe.required(`${path}.name`));
  else for (const m of isDNS1123Label(c.name)) errs.push(fe.invalid(`${path}.name`, c.name, m));
  if (!c.image) errs.push(fe.required(`${path}.image`));
  else if (c.image.trim() !== c.image) errs.push(fe.invalid(`${path}.image`, c.image, 'must not have leading or trailing whitespace'));
  if (c.imagePullPolicy !== undefined && !pullPolicies.includes(c.imagePullPolicy)) {
    errs.push(fe.notSupported(`${path}.imagePullPolicy`, c.imagePullPolicy, pullPolicies));
  }
  if (c.terminationMessagePolicy !== undefined && !terminationMessagePolicies.includes(c.terminationMessagePolicy)) {
    errs.push(fe.notSupported(`${path}.terminationMessagePolicy`, c.terminationMessagePolicy, terminationMessagePolicies));
  }
  const portNames = new Set<string>();
  (c.ports ?? []).forEach((p, i) => {
    const pp = `${path}.ports[${i}]`;
    if (p.name !== undefined && p.name !== '') {
      for (const m of isValidPortName(p.name)) errs.push(fe.invalid(`${pp}.name`, p.name, m));
      if (portNames.has(p.name)) errs.push(fe.duplicate(`${pp}.name`, p.name));
      portNames.add(p.name);
    }
    if (!p.containerPort) errs.push(fe.required(`${pp}.containerPort`));
    else for (const m of isValidPortNum(p.containerPort)) errs.push(fe.invalid(`${pp}.containerPort`, p.containerPort, m));
    if (p.hostPort) for (const m of isValidPortNum(p.hostPort)) errs.push(fe.invalid(`${pp}.hostPort`, p.hostPort, m));
    if (p.protocol === undefined) errs.push(fe.required(`${pp}.protocol`));
    else if (!protocols.includes(p.protocol)) errs.push(fe.notSupported(`${pp}.protocol`, p.protocol, protocols));
  });
  (c.env ?? []).forEach((e, i) => {
    const ep = `${path}.env[${i}]`;
    if (!e.name) errs.push(fe.required(`${ep}.name`));
    else for (const m of isEnvVarName(e.name)) errs.push(fe.invalid(`${ep}.name`, e.name, m));
    if (e.value !== undefined && e.value !== '' && e.valueFrom) {
      errs.push(fe.invalid(`${ep}.valueFrom`, '', 'may not be specified when `value` is not empty'));
    }
  });
  const mountPaths = new Set<string>();
  (c.volumeMounts ?? []).forEach((vm, i) => {
    const vp = `${path}.volumeMounts[${i}]`;
    if (!vm.name) errs.push(fe.required(`${vp}.name`));
    else if (!volumeNames.has(vm.name)) errs.push(fe.notFound(`${vp}.name`, vm.name));
    if (!vm.mountPath) errs.push(fe.required(`${vp}.mountPath`));
    else {
      if (mountPaths.has(vm.mountPath)) errs.push(fe.invalid(`${vp}.mountPath`, vm.mountPath, 'must be unique'));
      mountPaths.add(vm.mountPath);
    }
  });
  if (init) {
    // Only restartable (sidecar) init containers may carry probes other than startup.
    const sidecar = c.restartPolicy === 'Always';
    if (!sidecar) {
      if (c.livenessProbe) errs.push(fe.forbidden(`${path}.livenessProbe`, 'may not be set for init containers without restartPolicy=Always'));
      if (c.readinessProbe) errs.push(fe.forbidden(`${path}.readinessProbe`, 'may not be set for init containers without restartPolicy=Always'));
      if (c.startupProbe) errs.push(fe.forbidden(`${path}.startupProbe`, 'may not be set for init containers without restartPolicy=Always'));
    }
  } else if (c.restartPolicy !== undefined) {
    errs.push(fe.forbidden(`${path}.restartPolicy`, 'may not be set for non-init containers'));
  }
  errs.push(...validateProbe(c.livenessProbe, `${path}.livenessProbe`, 'liveness'));
  errs.push(...validateProbe(c.readinessProbe, `${path}.readinessProbe`, 'readiness'));
  errs.push(...validateProbe(c.startupProbe, `${path}.startupProbe`, 'startup'));
  errs.push(...validateResources(c.resources, `${path}.resources`));
  return errs;
}

export interface PodSpecRules {
  /** Restart policies allowed (templates of ReplicaSets/Deployments only allow Always). */
  restartPolicies?: string[];
}

/** ValidatePodSpec: `path` is "spec" for pods, "spec.template.spec" for templates. */
export function validatePodSpec(spec: PodSpec | undefined, path: string, rules: PodSpecRules = {}): FieldCause[] {
  const errs: FieldCause[] = [];
  if (!spec || !isRecord(spec)) return [fe.required(`${path}.containers`)];
  const volumeNames = new Set<string>();
  (spec.volumes ?? []).forEach((v, i) => {
    const vp = `${path}.volumes[${i}]`;
    if (!v.name) errs.push(fe.required(`${vp}.name`));
    else {
      for (const m of isDNS1123Label(v.name)) errs.push(fe.invalid(`${vp}.name`, v.name, m));
      if (volumeNames.has(v.name)) errs.push(fe.duplicate(`${vp}.name`, v.name));
      volumeNames.add(v.name);
    }
    const sources = volumeSources.filter((s) => (v as unknown as Record<string, unknown>)[s] !== undefined);
    if (sources.length === 0) errs.push(fe.required(vp, 'must specify a volume type'));
    for (const s of sources.slice(1)) errs.push(fe.forbidden(`${vp}.${s}`, 'may not specify more than 1 volume type'));
    if (v.hostPath && !v.hostPath.path) errs.push(fe.required(`${vp}.hostPath.path`));
  });
  const names = new Map<string, string>();
  const checkName = (c: Container, p: string): void => {
    if (!c.name) return;
    if (names.has(c.name)) errs.push(fe.duplicate(`${p}.name`, c.name));
    names.set(c.name, p);
  };
  if (!Array.isArray(spec.containers) || spec.containers.length === 0) {
    errs.push(fe.required(`${path}.containers`));
  }
  (spec.initContainers ?? []).forEach((c, i) => {
    const p = `${path}.initContainers[${i}]`;
    errs.push(...validateContainer(c, p, volumeNames, true));
    checkName(c, p);
  });
  (spec.containers ?? []).forEach((c, i) => {
    const p = `${path}.containers[${i}]`;
    errs.push(...validateContainer(c, p, volumeNames, false));
    checkName(c, p);
  });
  const allowedRestart = rules.restartPolicies ?? restartPolicies;
  if (spec.restartPolicy === undefined) errs.push(fe.required(`${path}.restartPolicy`));
  else if (!allowedRestart.includes(spec.restartPolicy)) errs.push(fe.notSupported(`${path}.restartPolicy`, spec.restartPolicy, allowedRestart));
  if (spec.dnsPolicy !== undefined && !dnsPolicies.includes(spec.dnsPolicy)) errs.push(fe.notSupported(`${path}.dnsPolicy`, spec.dnsPolicy, dnsPolicies));
  if (spec.activeDeadlineSeconds !== undefined && (spec.activeDeadlineSeconds < 1 || spec.activeDeadlineSeconds > 2147483647)) {
    errs.push(fe.invalid(`${path}.activeDeadlineSeconds`, spec.activeDeadlineSeconds, 'must be between 1 and 2147483647, inclusive'));
  }
  if (spec.nodeName) for (const m of isDNS1123Subdomain(spec.nodeName)) errs.push(fe.invalid(`${path}.nodeName`, spec.nodeName, m));
  if (spec.serviceAccountName) for (const m of isDNS1123Subdomain(spec.serviceAccountName)) errs.push(fe.invalid(`${path}.serviceAccountName`, spec.serviceAccountName, m));
  if (spec.hostname) for (const m of isDNS1123Label(spec.hostname)) errs.push(fe.invalid(`${path}.hostname`, spec.hostname, m));
  if (spec.subdomain) for (const m of isDNS1123Label(spec.subdomain)) errs.push(fe.invalid(`${path}.subdomain`, spec.subdomain, m));
  errs.push(...validateLabels(spec.nodeSelector, `${path}.nodeSelector`));
  (spec.tolerations ?? []).forEach((t, i) => {
    const tp = `${path}.tolerations[${i}]`;
    if (t.operator !== undefined && !tolerationOperators.includes(t.operator)) errs.push(fe.notSupported(`${tp}.operator`, t.operator, tolerationOperators));
    if (t.operator === 'Exists' && t.value) errs.push(fe.invalid(`${tp}.operator`, t.value, 'value must be empty when `operator` is \'Exists\''));
    if (!t.key && t.operator !== 'Exists') errs.push(fe.invalid(`${tp}.operator`, t.operator ?? '', 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    if (t.effect && !taintEffects.includes(t.effect)) errs.push(fe.notSupported(`${tp}.effect`, t.effect, taintEffects));
    if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute') {
      errs.push(fe.invalid(`${tp}.effect`, t.effect ?? '', 'effect must be \'NoExecute\' when `tolerationSeconds` is set'));
    }
  });
  if (spec.terminationGracePeriodSeconds !== undefined && spec.terminationGracePeriodSeconds < 0) {
    errs.push(fe.invalid(`${path}.terminationGracePeriodSeconds`, spec.terminationGracePeriodSeconds, 'must be greater than or equal to 0'));
  }
  return errs;
}

/** ValidatePodTemplateSpec: labels/annotations of the template, then its spec. */
export function validatePodTemplate(t: core.PodTemplateSpec | undefined, path: string, rules: PodSpecRules): FieldCause[] {
  if (typeof t !== 'object' || t === null || Array.isArray(t)) return [fe.required(path)];
  const errs: FieldCause[] = [];
  errs.push(...validateLabels(t.metadata?.labels, `${path}.metadata.labels`));
  errs.push(...validateAnnotations(t.metadata?.annotations, `${path}.metadata.annotations`));
  errs.push(...validatePodSpec(t.spec, `${path}.spec`, rules));
  return errs;
}

// ---- QoS --------------------------------------------------------------------------------------

/** Kubernetes' GetPodQOS: Guaranteed, Burstable or BestEffort, from cpu/memory requests and limits. */
export function podQOSClass(spec: PodSpec | undefined): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const containers = [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])];
  const supported = ['cpu', 'memory'];
  const requests = new Map<string, bigint>();
  const limits = new Map<string, bigint>();
  let guaranteed = true;
  const q = (v: string): bigint => {
    try {
      return parseQuantity(v).nanos;
    } catch {
      return 0n;
    }
  };
  for (const c of containers) {
    const seenLimits = new Set<string>();
    for (const [k, v] of Object.entries(c.resources?.requests ?? {})) {
      if (!supported.includes(k) || q(v) === 0n) continue;
      requests.set(k, (requests.get(k) ?? 0n) + q(v));
    }
    for (const [k, v] of Object.entries(c.resources?.limits ?? {})) {
      if (!supported.includes(k) || q(v) === 0n) continue;
      seenLimits.add(k);
      limits.set(k, (limits.get(k) ?? 0n) + q(v));
    }
    if (!supported.every((k) => seenLimits.has(k))) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [k, v] of requests) if (limits.get(k) !== v) guaranteed = false;
  }
  return guaranteed && limits.size === supported.length ? 'Guaranteed' : 'Burstable';
}
