// Garbage collection decisions, pure. Given a dependent and what is known of each
// of its owners, decide: keep it, strip some owner references, or delete it (and how).
import type { OwnerReference } from '../../api/types.js';
import type { ObjectLike } from '../../client/index.js';

export const FOREGROUND_FINALIZER = 'foregroundDeletion';
export const ORPHAN_FINALIZER = 'orphan';

/** What we know about one owner reference's target. */
export type OwnerState =
  | 'present' // exists with that uid, not deleting its dependents
  | 'absent' // confirmed gone (404 or a different uid under that name)
  | 'deletingDependents' // exists, being deleted in the foreground: its dependents must go first
  | 'unknown'; // cannot be checked (unknown kind): treated as present, never delete on a guess

export type Decision =
  | { action: 'none' }
  | { action: 'removeOwnerRefs'; uids: string[] }
  | { action: 'delete'; propagationPolicy: 'Background' | 'Foreground' | 'Orphan' };

export function hasFinalizer(obj: ObjectLike, name: string): boolean {
  return obj.metadata?.finalizers?.includes(name) ?? false;
}

export function isDeletingDependents(obj: ObjectLike): boolean {
  return !!obj.metadata?.deletionTimestamp && hasFinalizer(obj, FOREGROUND_FINALIZER);
}

/**
 * Kubernetes' attemptToDeleteItem:
 *  - any owner still present → keep, but drop references to absent owners and to
 *    owners waiting for their dependents;
 *  - otherwise, if an owner waits for its dependents and this object has dependents
 *    of its own → delete in the foreground (so the chain unwinds bottom-up);
 *  - otherwise delete, with the policy its own finalizers ask for (default Background).
 */
export function decide(obj: ObjectLike, owners: Array<{ ref: OwnerReference; state: OwnerState }>, hasDependents: boolean): Decision {
  if (owners.length === 0) return { action: 'none' };
  const solid = owners.filter((o) => o.state === 'present' || o.state === 'unknown');
  const dangling = owners.filter((o) => o.state === 'absent');
  const waiting = owners.filter((o) => o.state === 'deletingDependents');
  if (solid.length > 0) {
    if (dangling.length === 0 && waiting.length === 0) return { action: 'none' };
    return { action: 'removeOwnerRefs', uids: [...dangling, ...waiting].map((o) => o.ref.uid) };
  }
  if (waiting.length > 0 && hasDependents) return { action: 'delete', propagationPolicy: 'Foreground' };
  if (hasFinalizer(obj, ORPHAN_FINALIZER)) return { action: 'delete', propagationPolicy: 'Orphan' };
  if (hasFinalizer(obj, FOREGROUND_FINALIZER)) return { action: 'delete', propagationPolicy: 'Foreground' };
  return { action: 'delete', propagationPolicy: 'Background' };
}
