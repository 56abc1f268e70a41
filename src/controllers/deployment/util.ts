// The Deployment controller's arithmetic and bookkeeping, pure: no client in sight.
// Everything takes objects (and `now` where time matters) and returns values.
import type { apps, core } from '../../api/types.js';
import { safeEncode } from '../runtime/names.js';

type Deployment = apps.Deployment;
type ReplicaSet = apps.ReplicaSet;
type Condition = apps.DeploymentCondition;

// ---- names: annotation keys, labels, condition types and reasons ----
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
export const CHANGE_CAUSE_ANNOTATION = 'kubernetes.io/change-cause';
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
export const ROLLBACK_TO_ANNOTATION = 'deprecated.deployment.rollback.to';
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

export const PROGRESSING = 'Progressing';
export const AVAILABLE = 'Available';
export const REPLICA_FAILURE = 'ReplicaFailure';

export const reasons = {
  newRSCreated: 'NewReplicaSetCreated',
  foundNewRS: 'FoundNewReplicaSet',
  newRSAvailable: 'NewReplicaSetAvailable',
  rsUpdated: 'ReplicaSetUpdated',
  timedOut: 'ProgressDeadlineExceeded',
  failedRSCreate: 'ReplicaSetCreateError',
  paused: 'DeploymentPaused',
  resumed: 'DeploymentResumed',
  minimumReplicasAvailable: 'MinimumReplicasAvailable',
  minimumReplicasUnavailable: 'MinimumReplicasUnavailable',
} as const;

/** Annotations that belong to the Deployment itself and are never copied onto its ReplicaSets. */
const notCopiedToReplicaSet = new Set([LAST_APPLIED_ANNOTATION, REVISION_ANNOTATION, REVISION_HISTORY_ANNOTATION, DESIRED_REPLICAS_ANNOTATION, MAX_REPLICAS_ANNOTATION, ROLLBACK_TO_ANNOTATION]);

// ---- intOrPercent and the two fence-posts ----

/**
 * An int, or "N%" of `total` rounded up (surge) or down (unavailable).
 * Example: 25% of 10 → 3 rounding up, 2 rounding down.
 */
export function scaledValue(value: number | string | undefined, total: number, roundUp: boolean): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  const m = /^(\d+)%$/.exec(value);
  if (!m) {
    if (/^\d+$/.test(value)) return Number(value);
    throw new Error(`invalid value for IntOrString: invalid value "${value}"`);
  }
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/**
 * maxSurge rounds up, maxUnavailable rounds down; if both come to 0 the rollout
 * could never move, so unavailable becomes 1.
 * Example: replicas 10, maxSurge 20%, maxUnavailable 0 → surge 2, unavailable 0.
 */
export function resolveFenceposts(maxSurge: number | string | undefined, maxUnavailable: number | string | undefined, desired: number): { surge: number; unavailable: number } {
  const surge = scaledValue(maxSurge, desired, true);
  let unavailable = scaledValue(maxUnavailable, desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

export function replicasOf(obj: { spec?: { replicas?: number } } | undefined): number {
  return obj?.spec?.replicas ?? 1;
}

/** apps/v1 defaults: RollingUpdate with 25% / 25%. */
function rollingParams(d: Deployment): { maxSurge: number | string; maxUnavailable: number | string } {
  const ru = d.spec?.strategy?.rollingUpdate;
  return { maxSurge: ru?.maxSurge ?? '25%', maxUnavailable: ru?.maxUnavailable ?? '25%' };
}

export function isRollingUpdate(d: Deployment): boolean {
  return (d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

export function maxSurge(d: Deployment): number {
  if (!isRollingUpdate(d)) return 0;
  const p = rollingParams(d);
  return resolveFenceposts(p.maxSurge, p.maxUnavailable, replicasOf(d)).surge;
}

export function maxUnavailable(d: Deployment): number {
  const replicas = replicasOf(d);
  if (!isRollingUpdate(d) || replicas === 0) return 0;
  const p = rollingParams(d);
  const { unavailable } = resolveFenceposts(p.maxSurge, p.maxUnavailable, replicas);
  return Math.min(unavailable, replicas);
}

// ---- counts over replica sets ----

export const specReplicas = (rss: Array<ReplicaSet | undefined>): number => rss.reduce((n, rs) => n + (rs ? rs.spec?.replicas ?? 1 : 0), 0);
export const actualReplicas = (rss: Array<ReplicaSet | undefined>): number => rss.reduce((n, rs) => n + (rs?.status?.replicas ?? 0), 0);
export const readyReplicas = (rss: Array<ReplicaSet | undefined>): number => rss.reduce((n, rs) => n + (rs?.status?.readyReplicas ?? 0), 0);
export const availableReplicas = (rss: Array<ReplicaSet | undefined>): number => rss.reduce((n, rs) => n + (rs?.status?.availableReplicas ?? 0), 0);

export function filterActive(rss: Array<ReplicaSet | undefined>): ReplicaSet[] {
  return rss.filter((rs): rs is ReplicaSet => !!rs && (rs.spec?.replicas ?? 1) > 0);
}

// ---- ordering ----

function created(rs: ReplicaSet): number {
  const t = rs.metadata?.creationTimestamp;
  return t ? Date.parse(t) : 0;
}

/** Oldest first; ties by name. */
export function byCreation(a: ReplicaSet, b: ReplicaSet): number {
  return created(a) - created(b) || (a.metadata!.name! < b.metadata!.name! ? -1 : a.metadata!.name! > b.metadata!.name! ? 1 : 0);
}
/** Largest first; ties: newer first (used when scaling up). */
export function bySizeNewer(a: ReplicaSet, b: ReplicaSet): number {
  return replicasOf(b) - replicasOf(a) || byCreation(b, a);
}
/** Largest first; ties: older first (used when scaling down). */
export function bySizeOlder(a: ReplicaSet, b: ReplicaSet): number {
  return replicasOf(b) - replicasOf(a) || byCreation(a, b);
}
/** Lowest revision first; ties by creation. */
export function byRevision(a: ReplicaSet, b: ReplicaSet): number {
  const ra = revisionOf(a);
  const rb = revisionOf(b);
  return ra < rb ? -1 : ra > rb ? 1 : byCreation(a, b);
}

// ---- revisions (BigInt: Kubernetes' own tests go past 2^53) ----

export function parseRevision(v: string | undefined): bigint | undefined {
  if (v === undefined || !/^-?\d+$/.test(v)) return undefined;
  return BigInt(v);
}

export function revisionOf(obj: { metadata?: { annotations?: Record<string, string> } } | undefined): bigint {
  return parseRevision(obj?.metadata?.annotations?.[REVISION_ANNOTATION]) ?? 0n;
}

export function maxRevision(rss: ReplicaSet[]): bigint {
  let max = 0n;
  for (const rs of rss) {
    const r = revisionOf(rs);
    if (r > max) max = r;
  }
  return max;
}

/** The second-highest revision: what `rollout undo` with no revision goes back to. */
export function lastRevision(rss: ReplicaSet[]): bigint {
  let max = 0n;
  let second = 0n;
  for (const rs of rss) {
    const r = revisionOf(rs);
    if (r >= max) {
      second = max;
      max = r;
    } else if (r > second) second = r;
  }
  return second;
}

// ---- pod template hash and equality ----

/** JSON with sorted keys, dropping what Go's semantic equality treats as absent (null, "", [], {}). */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.length ? v.map(canonical) : undefined;
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const c = canonical((v as Record<string, unknown>)[k]);
      if (c !== undefined) out[k] = c;
    }
    return Object.keys(out).length ? out : undefined;
  }
  if (v === null || v === '') return undefined;
  return v;
}

function withoutHash(t: core.PodTemplateSpec | undefined): unknown {
  const copy = structuredClone(t ?? {});
  if (copy.metadata?.labels) delete copy.metadata.labels[POD_TEMPLATE_HASH_LABEL];
  return canonical(copy);
}

/** Templates equal apart from the pod-template-hash label (Kubernetes' EqualIgnoreHash). */
export function equalIgnoreHash(a: core.PodTemplateSpec | undefined, b: core.PodTemplateSpec | undefined): boolean {
  return JSON.stringify(withoutHash(a)) === JSON.stringify(withoutHash(b));
}

function fnv32a(bytes: Uint8Array, h = 0x811c9dc5): number {
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * The pod-template-hash label value: FNV-32a over the template (canonical form)
 * and, after a name collision, the collision count; the decimal digits are then
 * mapped onto the name-safe alphabet, e.g. "7c5ddbdf54".
 */
export function computeHash(template: core.PodTemplateSpec | undefined, collisionCount?: number): string {
  let h = fnv32a(new TextEncoder().encode(JSON.stringify(withoutHash(template)) ?? ''));
  if (collisionCount !== undefined && collisionCount !== null) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(b, h);
  }
  return safeEncode(String(h));
}

// ---- finding the new and old replica sets ----

/** The oldest ReplicaSet whose template equals the Deployment's (ignoring the hash label). */
export function findNewReplicaSet(d: Deployment, rss: ReplicaSet[]): ReplicaSet | undefined {
  return [...rss].sort(byCreation).find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
}

export function findOldReplicaSets(d: Deployment, rss: ReplicaSet[], newRS = findNewReplicaSet(d, rss)): ReplicaSet[] {
  return rss.filter((rs) => rs.metadata?.uid !== newRS?.metadata?.uid);
}

// ---- annotations on replica sets ----

function annotationInt(rs: ReplicaSet, key: string): number | undefined {
  const v = rs.metadata?.annotations?.[key];
  if (v === undefined || !/^-?\d+$/.test(v)) return undefined;
  return Number(v);
}

export const desiredReplicasAnnotation = (rs: ReplicaSet) => annotationInt(rs, DESIRED_REPLICAS_ANNOTATION);
export const maxReplicasAnnotation = (rs: ReplicaSet) => annotationInt(rs, MAX_REPLICAS_ANNOTATION);

/** Sets desired/max-replicas on `rs` (mutates); true if anything changed. */
export function setReplicasAnnotations(rs: ReplicaSet, desired: number, max: number): boolean {
  const a = (rs.metadata!.annotations ??= {});
  let changed = false;
  if (a[DESIRED_REPLICAS_ANNOTATION] !== String(desired)) {
    a[DESIRED_REPLICAS_ANNOTATION] = String(desired);
    changed = true;
  }
  if (a[MAX_REPLICAS_ANNOTATION] !== String(max)) {
    a[MAX_REPLICAS_ANNOTATION] = String(max);
    changed = true;
  }
  return changed;
}

/**
 * Copies the Deployment's annotations (change-cause among them) to the new
 * ReplicaSet and raises its revision to `newRevision` (recording the old one in
 * revision-history). Mutates `rs`; true if anything changed.
 */
export function setNewReplicaSetAnnotations(d: Deployment, rs: ReplicaSet, newRevision: bigint, exists: boolean): boolean {
  const a = (rs.metadata!.annotations ??= {});
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata?.annotations ?? {})) {
    if (notCopiedToReplicaSet.has(k) || a[k] === v) continue;
    a[k] = v;
    changed = true;
  }
  const oldText = a[REVISION_ANNOTATION];
  const old = parseRevision(oldText);
  if (oldText !== undefined && old === undefined) return changed; // unparsable: leave it alone
  if ((old ?? 0n) < newRevision) {
    a[REVISION_ANNOTATION] = newRevision.toString();
    changed = true;
    if (oldText !== undefined) {
      const history = a[REVISION_HISTORY_ANNOTATION];
      a[REVISION_HISTORY_ANNOTATION] = history ? `${history},${oldText}` : oldText;
    }
  }
  if (!exists && setReplicasAnnotations(rs, replicasOf(d), replicasOf(d) + maxSurge(d))) changed = true;
  return changed;
}

// ---- sizes ----

/**
 * How big the new ReplicaSet may be now.
 * RollingUpdate example: replicas 10, maxSurge 2 (20%), all 10 old pods present,
 * new RS at 0 → total may reach 12, so the new RS grows to 2.
 */
export function newRSNewReplicas(d: Deployment, allRSs: Array<ReplicaSet | undefined>, newRS: ReplicaSet): number {
  if (!isRollingUpdate(d)) return replicasOf(d);
  const current = specReplicas(allRSs);
  const maxTotal = replicasOf(d) + maxSurge(d);
  if (current >= maxTotal) return replicasOf(newRS);
  const up = Math.min(maxTotal - current, replicasOf(d) - replicasOf(newRS));
  return replicasOf(newRS) + up;
}

/** Go's math.Round: halves away from zero. */
function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** This ReplicaSet's share of a scaling change, from its max-replicas annotation. */
export function replicaSetFraction(rs: ReplicaSet, d: Deployment): number {
  if (replicasOf(d) === 0) return -replicasOf(rs);
  const deploymentReplicas = replicasOf(d) + maxSurge(d);
  const annotated = maxReplicasAnnotation(rs) ?? d.status?.replicas ?? 0;
  if (annotated === 0) return 0;
  return roundHalfAway((replicasOf(rs) * deploymentReplicas) / annotated) - replicasOf(rs);
}

export function proportion(rs: ReplicaSet | undefined, d: Deployment, toAdd: number, added: number): number {
  if (!rs || replicasOf(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

/**
 * Proportional scaling during a rollout: the Deployment was resized while several
 * ReplicaSets are active, so the change is spread by each one's share, largest first
 * (newer first when growing, older first when shrinking), leftovers to the first.
 * Example: 10 replicas (surge 3, so max-replicas 13) split 8 old / 5 new, scaled to
 * 20 (surge 5): allowed 25, 12 to add → old 8→15 (8·25/13≈15.4), new 5→10, 0 leftover.
 * Returns the new size of every active ReplicaSet, in the order they should be written.
 */
export function proportionalScale(d: Deployment, active: ReplicaSet[]): { sizes: Array<{ rs: ReplicaSet; size: number }>; direction: 'up' | 'down' | '' } {
  const total = specReplicas(active);
  const allowed = replicasOf(d) > 0 ? replicasOf(d) + maxSurge(d) : 0;
  const toAdd = allowed - total;
  const sorted = [...active];
  let direction: 'up' | 'down' | '' = '';
  if (toAdd > 0) {
    sorted.sort(bySizeNewer);
    direction = 'up';
  } else if (toAdd < 0) {
    sorted.sort(bySizeOlder);
    direction = 'down';
  }
  let added = 0;
  const sizes = sorted.map((rs) => {
    if (toAdd === 0) return { rs, size: replicasOf(rs) };
    const p = proportion(rs, d, toAdd, added);
    added += p;
    return { rs, size: replicasOf(rs) + p };
  });
  if (toAdd !== 0 && sizes.length) sizes[0].size = Math.max(0, sizes[0].size + toAdd - added);
  return { sizes, direction };
}

/** The new RS has all desired replicas, all available. */
export function isSaturated(d: Deployment, rs: ReplicaSet | undefined): boolean {
  if (!rs) return false;
  const desired = desiredReplicasAnnotation(rs);
  return replicasOf(rs) === replicasOf(d) && desired === replicasOf(d) && (rs.status?.availableReplicas ?? 0) === replicasOf(d);
}

/** The only active ReplicaSet, or the newest one if none is active; undefined if several are active. */
export function findActiveOrLatest(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): ReplicaSet | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const olds = [...oldRSs].sort((a, b) => byCreation(b, a));
  const active = filterActive([...olds, newRS]);
  if (active.length === 0) return newRS ?? olds[0];
  if (active.length === 1) return active[0];
  return undefined;
}

// ---- rolling update scale-down plans ----

/**
 * Whether a ReplicaSet's status describes its current spec, so its availableReplicas
 * can be trusted for a scale-down decision. After the Deployment scales an old RS from
 * 10 to 9, the RS controller's first status still counts the 10 pods it saw (9/10
 * available); deciding from that would remove one available pod too many.
 */
export function statusCaughtUp(rs: ReplicaSet): boolean {
  if ((rs.status?.observedGeneration ?? 0) < (rs.metadata?.generation ?? 0)) return false;
  return (rs.status?.availableReplicas ?? 0) <= replicasOf(rs);
}

/**
 * How many pods the old ReplicaSets may lose now without going below
 * replicas − maxUnavailable, counting the new RS's unavailable pods as already lost.
 * Example: replicas 10, maxUnavailable 0, new RS 2 (0 available), old 10 → 12 − 10 − 2 = 0.
 */
export function maxScaledDown(d: Deployment, allRSs: Array<ReplicaSet | undefined>, newRS: ReplicaSet): number {
  const minAvailable = replicasOf(d) - maxUnavailable(d);
  const newUnavailable = replicasOf(newRS) - (newRS.status?.availableReplicas ?? 0);
  return specReplicas(allRSs) - minAvailable - newUnavailable;
}

export interface ScaleStep {
  rs: ReplicaSet;
  to: number;
}

/** Scale down old ReplicaSets' unhealthy (not available) replicas first, oldest first, at most `maxCleanup`. */
export function cleanupUnhealthyPlan(oldRSs: ReplicaSet[], maxCleanup: number): { steps: ScaleStep[]; total: number } {
  const steps: ScaleStep[] = [];
  let total = 0;
  for (const rs of [...oldRSs].sort(byCreation)) {
    if (total >= maxCleanup) break;
    const replicas = replicasOf(rs);
    const available = rs.status?.availableReplicas ?? 0;
    // available > replicas: a scale-down whose pods are not yet gone from status. Not
    // unhealthy replicas; "cleaning" them up would scale the ReplicaSet back up.
    if (replicas === 0 || available >= replicas) continue;
    const down = Math.min(maxCleanup - total, replicas - available);
    steps.push({ rs, to: replicas - down });
    total += down;
  }
  return { steps, total };
}

/** Scale down old ReplicaSets (oldest first) by as many as are available beyond replicas − maxUnavailable. */
export function scaleDownOldPlan(d: Deployment, allRSs: Array<ReplicaSet | undefined>, oldRSs: ReplicaSet[]): { steps: ScaleStep[]; total: number } {
  const minAvailable = replicasOf(d) - maxUnavailable(d);
  const available = availableReplicas(allRSs);
  if (available <= minAvailable) return { steps: [], total: 0 };
  const budget = available - minAvailable;
  const steps: ScaleStep[] = [];
  let total = 0;
  for (const rs of [...oldRSs].sort(byCreation)) {
    if (total >= budget) break;
    const replicas = replicasOf(rs);
    if (replicas === 0) continue;
    const down = Math.min(replicas, budget - total);
    steps.push({ rs, to: replicas - down });
    total += down;
  }
  return { steps, total };
}

// ---- conditions and status ----

export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function newCondition(type: string, status: 'True' | 'False' | 'Unknown', reason: string, message: string, nowMs: number): Condition {
  const t = rfc3339(nowMs);
  return { type, status, lastUpdateTime: t, lastTransitionTime: t, reason, message };
}

export function getCondition(status: apps.DeploymentStatus | undefined, type: string): Condition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

/** Sets `c` unless one with the same status and reason exists; keeps lastTransitionTime when status is unchanged. */
export function setCondition(status: apps.DeploymentStatus, c: Condition): void {
  const current = getCondition(status, c.type);
  if (current && current.status === c.status && current.reason === c.reason) return;
  const next = { ...c };
  if (current && current.status === c.status) next.lastTransitionTime = current.lastTransitionTime;
  status.conditions = [...(status.conditions ?? []).filter((x) => x.type !== c.type), next];
}

export function removeCondition(status: apps.DeploymentStatus, type: string): void {
  if (!status.conditions) return;
  status.conditions = status.conditions.filter((c) => c.type !== type);
  if (status.conditions.length === 0) delete status.conditions;
}

export function hasProgressDeadline(d: Deployment): boolean {
  const s = d.spec?.progressDeadlineSeconds;
  return s !== undefined && s !== null && s !== 2147483647;
}

/** Drops fields whose value is 0 or undefined (Go's omitempty on int32 status counts). */
export function omitZero<T extends object>(obj: T): T {
  const out = { ...obj } as Record<string, unknown>;
  for (const k of Object.keys(out)) if (out[k] === 0 || out[k] === undefined) delete out[k];
  return out as T;
}

/** Counts and the Available condition, from the ReplicaSets. */
export function calculateStatus(allRSs: Array<ReplicaSet | undefined>, newRS: ReplicaSet | undefined, d: Deployment, nowMs: number): apps.DeploymentStatus {
  const available = availableReplicas(allRSs);
  const unavailable = Math.max(0, specReplicas(allRSs) - available);
  // Zero counts are left out, as Kubernetes' omitempty fields serialise.
  const status: apps.DeploymentStatus = omitZero({
    observedGeneration: d.metadata?.generation,
    replicas: actualReplicas(allRSs),
    updatedReplicas: actualReplicas([newRS]),
    readyReplicas: readyReplicas(allRSs),
    availableReplicas: available,
    unavailableReplicas: unavailable,
  });
  if (d.status?.collisionCount !== undefined) status.collisionCount = d.status.collisionCount;
  if (d.status?.conditions?.length) status.conditions = d.status.conditions.map((c) => ({ ...c }));
  if (available >= replicasOf(d) - maxUnavailable(d)) {
    setCondition(status, newCondition(AVAILABLE, 'True', reasons.minimumReplicasAvailable, 'Deployment has minimum availability.', nowMs));
  } else {
    setCondition(status, newCondition(AVAILABLE, 'False', reasons.minimumReplicasUnavailable, 'Deployment does not have minimum availability.', nowMs));
  }
  return status;
}

/** Every replica updated and available, and the status describes the latest spec. */
export function deploymentComplete(d: Deployment, s: apps.DeploymentStatus): boolean {
  const r = replicasOf(d);
  return (s.updatedReplicas ?? 0) === r && (s.replicas ?? 0) === r && (s.availableReplicas ?? 0) === r && (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0);
}

/** Something moved since the last recorded status: more updated, fewer old, more ready or available. */
export function deploymentProgressing(d: Deployment, s: apps.DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (
    (s.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (s.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (s.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

/** No progress for progressDeadlineSeconds since the Progressing condition was last updated. */
export function deploymentTimedOut(d: Deployment, s: apps.DeploymentStatus, nowMs: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const c = getCondition(s, PROGRESSING);
  if (!c) return false;
  if (c.reason === reasons.newRSAvailable) return false;
  if (c.reason === reasons.timedOut) return true;
  const from = c.lastUpdateTime ? Date.parse(c.lastUpdateTime) : NaN;
  if (Number.isNaN(from)) return false;
  return from + d.spec!.progressDeadlineSeconds! * 1000 < nowMs;
}

/** Recreate waits for every old pod to be gone (terminal pods excepted). */
export function oldPodsRunning(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[], podsByRS: Map<string, core.Pod[]>): boolean {
  if (actualReplicas(oldRSs) > 0) return true;
  for (const [uid, pods] of podsByRS) {
    if (newRS && newRS.metadata?.uid === uid) continue;
    for (const p of pods) {
      const phase = p.status?.phase;
      if (phase === 'Failed' || phase === 'Succeeded') continue;
      return true;
    }
  }
  return false;
}
