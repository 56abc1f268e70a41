// core/v1 pods: defaults, validation (incl. the narrow set of mutable spec fields), the
// status strategy, the kubectl table (READY / STATUS / RESTARTS as the server computes them),
// field selectors and graceful deletion.
import type { FieldCause } from '../../api/errors.js';
import type { KubeObject, core } from '../../api/types.js';
import { ageSince } from '../../api/duration.js';
import { nameIsDNSSubdomain } from '../../api/names.js';
import type { ResourceDefinition, StrategyContext } from './types.js';
import {
  age, ageColumn, allVerbs, clone, metaOf, col, deepEqual, fe, isRecord, nameColumn, prepareForCreate, prepareForStatusUpdate,
  prepareForUpdate, specOf, validateObjectMeta, validateObjectMetaUpdate, type StrategyRules,
} from './common.js';
import { defaultPodSpec, podQOSClass, validatePodSpec } from './podspec.js';
// Pure helper shared with the node lifecycle controller, which evicts by these tolerations.
import { addDefaultTolerations, type DefaultTolerationSeconds } from '../../node/shared/taints.js';

type Pod = core.Pod;
const metaRules = { namespaced: true, nameValidator: nameIsDNSSubdomain };
const strategy: StrategyRules = {
  hasStatus: true,
  tracksGeneration: true,
  initialStatus: (obj) => ({ phase: 'Pending', qosClass: podQOSClass((obj as Pod).spec) }),
};

export const POD_UPDATE_FORBIDDEN =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

/** The spec with every field an update may change replaced by the old value, for comparison. */
function maskMutable(spec: core.PodSpec, old: core.PodSpec): core.PodSpec {
  const m = clone(spec);
  const copyImages = (cs: core.Container[] | undefined, olds: core.Container[] | undefined): void => {
    if (!cs || !olds || cs.length !== olds.length) return;
    cs.forEach((c, i) => {
      if (isRecord(c) && isRecord(olds[i])) c.image = olds[i]!.image;
    });
  };
  copyImages(m.containers, old.containers);
  copyImages(m.initContainers, old.initContainers);
  m.activeDeadlineSeconds = old.activeDeadlineSeconds;
  m.tolerations = old.tolerations;
  if ((old.terminationGracePeriodSeconds ?? 0) < 0 && m.terminationGracePeriodSeconds === 1) {
    m.terminationGracePeriodSeconds = old.terminationGracePeriodSeconds;
  }
  // Scheduling gates may only be removed.
  if ((m.schedulingGates ?? []).every((g) => (old.schedulingGates ?? []).some((o) => o.name === g.name))) m.schedulingGates = old.schedulingGates;
  return m;
}

export function validatePodUpdate(pod: Pod, old: Pod): FieldCause[] {
  const errs = validateObjectMetaUpdate(pod.metadata, old.metadata, metaRules);
  errs.push(...validatePodSpec(pod.spec, 'spec'));
  const spec = pod.spec ?? ({} as core.PodSpec);
  const oldSpec = old.spec ?? ({} as core.PodSpec);
  const oldDeadline = oldSpec.activeDeadlineSeconds;
  if (oldDeadline !== undefined && (spec.activeDeadlineSeconds === undefined || spec.activeDeadlineSeconds > oldDeadline)) {
    errs.push(fe.invalid('spec.activeDeadlineSeconds', spec.activeDeadlineSeconds ?? null, `must be less than or equal to previous value`));
  }
  for (const t of oldSpec.tolerations ?? []) {
    if (!(spec.tolerations ?? []).some((n) => deepEqual(n, t))) {
      errs.push(fe.forbidden('spec.tolerations', 'existing toleration can not be modified except its tolerationSeconds'));
      break;
    }
  }
  if (!deepEqual(maskMutable(spec, oldSpec), oldSpec)) errs.push(fe.forbidden('spec', POD_UPDATE_FORBIDDEN));
  return errs;
}

// ---- the STATUS / READY / RESTARTS columns ---------------------------------------------------

function isRestartableInit(c: core.Container | undefined): boolean {
  return c?.restartPolicy === 'Always';
}

function later(a: string | undefined, b: string | undefined): string | undefined {
  if (!b) return a;
  if (!a) return b;
  return Date.parse(b) > Date.parse(a) ? b : a;
}

export interface PodSummary {
  ready: string;
  status: string;
  restarts: number;
  lastRestart: string | undefined;
}

/** What `kubectl get pods` shows for READY, STATUS and RESTARTS (Kubernetes' printPod). */
export function summarizePod(pod: Pod): PodSummary {
  const spec = pod.spec ?? ({ containers: [] } as core.PodSpec);
  const status = pod.status ?? {};
  let restarts = 0;
  let restartableInitRestarts = 0;
  let totalContainers = (spec.containers ?? []).length;
  let readyContainers = 0;
  let lastRestart: string | undefined;
  let lastRestartableInitRestart: string | undefined;
  const phase = status.phase ?? '';
  let reason: string = status.reason || phase;
  for (const c of status.conditions ?? []) {
    if (c.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated';
  }
  const initSpecs = new Map<string, core.Container>();
  for (const c of spec.initContainers ?? []) {
    initSpecs.set(c.name, c);
    if (isRestartableInit(c)) totalContainers++;
  }
  let initializing = false;
  const initStatuses = status.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i]!;
    restarts += cs.restartCount ?? 0;
    const lastTerm = cs.lastState?.terminated?.finishedAt;
    lastRestart = later(lastRestart, lastTerm);
    const restartable = isRestartableInit(initSpecs.get(cs.name));
    if (restartable) {
      restartableInitRestarts += cs.restartCount ?? 0;
      lastRestartableInitRestart = later(lastRestartableInitRestart, lastTerm);
    }
    const term = cs.state?.terminated;
    const waiting = cs.state?.waiting;
    if (term && term.exitCode === 0) continue;
    if (restartable && cs.started === true) {
      if (cs.ready) readyContainers++;
      continue;
    }
    if (term) {
      reason = term.reason ? `Init:${term.reason}` : term.signal ? `Init:Signal:${term.signal}` : `Init:ExitCode:${term.exitCode}`;
    } else if (waiting?.reason && waiting.reason !== 'PodInitializing') {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${i}/${(spec.initContainers ?? []).length}`;
    }
    initializing = true;
    break;
  }
  const initializedTrue = (status.conditions ?? []).some((c) => c.type === 'Initialized' && c.status === 'True');
  if (!initializing || initializedTrue) {
    restarts = restartableInitRestarts;
    lastRestart = lastRestartableInitRestart;
    let hasRunning = false;
    const statuses = status.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i]!;
      restarts += cs.restartCount ?? 0;
      lastRestart = later(lastRestart, cs.lastState?.terminated?.finishedAt);
      const waiting = cs.state?.waiting;
      const term = cs.state?.terminated;
      if (waiting?.reason) reason = waiting.reason;
      else if (term?.reason) reason = term.reason;
      else if (term) reason = term.signal ? `Signal:${term.signal}` : `ExitCode:${term.exitCode}`;
      else if (cs.ready && cs.state?.running) {
        hasRunning = true;
        readyContainers++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      const readyCond = (status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
      reason = readyCond ? 'Running' : 'NotReady';
    }
  }
  const deleting = pod.metadata?.deletionTimestamp !== undefined && pod.metadata?.deletionTimestamp !== null;
  if (deleting && status.reason === 'NodeLost') reason = 'Unknown';
  else if (deleting && phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';
  return { ready: `${readyContainers}/${totalContainers}`, status: reason, restarts, lastRestart };
}

function podRow(obj: KubeObject, ctx: StrategyContext): unknown[] {
  const pod = obj as Pod;
  const s = summarizePod(pod);
  const restarts = s.restarts !== 0 && s.lastRestart ? `${s.restarts} (${ageSince(s.lastRestart, ctx.now())} ago)` : String(s.restarts);
  const ip = pod.status?.podIPs?.[0]?.ip || pod.status?.podIP || '<none>';
  let gates = '<none>';
  const rg = pod.spec?.readinessGates ?? [];
  if (rg.length > 0) {
    const conds = pod.status?.conditions ?? [];
    const trueCount = rg.filter((g) => conds.find((c) => c.type === g.conditionType)?.status === 'True').length;
    gates = `${trueCount}/${rg.length}`;
  }
  return [
    pod.metadata?.name ?? '',
    s.ready,
    s.status,
    restarts,
    age(obj, ctx),
    ip,
    pod.spec?.nodeName || '<none>',
    pod.status?.nominatedNodeName || '<none>',
    gates,
  ];
}

// ---- deletion -----------------------------------------------------------------------------------

export function podGracefulDelete(obj: KubeObject, requested: number | undefined): { graceSeconds: number } {
  const pod = obj as Pod;
  if (!pod.spec?.nodeName) return { graceSeconds: 0 };
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return { graceSeconds: 0 };
  let grace = requested ?? pod.spec.terminationGracePeriodSeconds ?? 30;
  // A negative grace period is treated as the shortest graceful one.
  if (grace < 0) grace = 1;
  return { graceSeconds: grace };
}

/** What admission adds to new pods (Kubernetes' DefaultTolerationSeconds plugin). */
export interface PodAdmissionOptions {
  defaultTolerationSeconds?: DefaultTolerationSeconds;
}

export function pods(admission: PodAdmissionOptions = {}): ResourceDefinition {
  return {
    group: '',
    version: 'v1',
    resource: 'pods',
    singular: 'pod',
    kind: 'Pod',
    listKind: 'PodList',
    namespaced: true,
    shortNames: ['po'],
    categories: ['all'],
    verbs: allVerbs,
    subresources: {
      status: true, binding: true, eviction: true,
      connect: [
        { name: 'attach', optionsKind: 'PodAttachOptions' },
        { name: 'exec', optionsKind: 'PodExecOptions' },
        { name: 'portforward', optionsKind: 'PodPortForwardOptions' },
      ],
    },
    applyDefaults(obj) {
      defaultPodSpec(specOf<core.PodSpec>(obj));
    },
    validateCreate(obj) {
      const pod = obj as Pod;
      return [...validateObjectMeta(pod.metadata, metaRules), ...validatePodSpec(pod.spec, 'spec')];
    },
    validateUpdate(obj, old) {
      return validatePodUpdate(obj as Pod, old as Pod);
    },
    validateStatusUpdate(obj, old) {
      const errs = validateObjectMetaUpdate(obj.metadata, old.metadata, metaRules);
      const st = (obj as Pod).status;
      if (st?.phase !== undefined && !['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'].includes(st.phase)) {
        errs.push(fe.notSupported('status.phase', st.phase, ['Failed', 'Pending', 'Running', 'Succeeded', 'Unknown']));
      }
      const oldPhase = (old as Pod).status?.phase;
      if ((oldPhase === 'Succeeded' || oldPhase === 'Failed') && st?.phase !== oldPhase) {
        errs.push(fe.forbidden('status.phase', `cannot transition from terminal phase ${oldPhase} to ${st?.phase ?? ''}`));
      }
      return errs;
    },
    prepareForCreate(obj) {
      prepareForCreate(obj, strategy);
      const seconds = admission.defaultTolerationSeconds;
      const spec = (obj as Pod).spec;
      if (seconds && spec) spec.tolerations = addDefaultTolerations(obj as Pod, seconds).spec?.tolerations;
    },
    prepareForUpdate(obj, old) {
      prepareForUpdate(obj, old, strategy);
    },
    prepareForStatusUpdate(obj, old) {
      prepareForStatusUpdate(obj, old, { keepLabels: false });
      // The status strategy also keeps deletion and ownership as they were.
      const m = metaOf(obj);
      if (old.metadata?.deletionTimestamp) m.deletionTimestamp = old.metadata.deletionTimestamp;
      else delete m.deletionTimestamp;
      if (old.metadata?.ownerReferences) m.ownerReferences = clone(old.metadata.ownerReferences);
      else delete m.ownerReferences;
    },
    tableColumns: [
      nameColumn,
      col('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
      col('Status', 'string', 'The aggregate status of the containers in this pod.'),
      col('Restarts', 'string', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
      ageColumn,
      col('IP', 'string', 'IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.', 1),
      col('Node', 'string', 'NodeName indicates in which node this pod is scheduled.', 1),
      col('Nominated Node', 'string', 'nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods.', 1),
      col('Readiness Gates', 'string', 'If specified, all readiness gates will be evaluated for pod readiness.', 1),
    ],
    tableRow: podRow,
    gracefulDelete: podGracefulDelete,
    fieldSelectors: {
      'spec.nodeName': (o) => (o as Pod).spec?.nodeName ?? '',
      'spec.restartPolicy': (o) => (o as Pod).spec?.restartPolicy ?? '',
      'spec.schedulerName': (o) => (o as Pod).spec?.schedulerName ?? '',
      'spec.serviceAccountName': (o) => (o as Pod).spec?.serviceAccountName ?? '',
      'spec.hostNetwork': (o) => String((o as Pod).spec?.hostNetwork ?? false),
      'status.phase': (o) => (o as Pod).status?.phase ?? '',
      'status.podIP': (o) => (o as Pod).status?.podIPs?.[0]?.ip ?? (o as Pod).status?.podIP ?? '',
      'status.nominatedNodeName': (o) => (o as Pod).status?.nominatedNodeName ?? '',
    },
  };
}
