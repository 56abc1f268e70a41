// Which objects a controller owns, adopts or releases (Kubernetes' ControllerRefManager), pure:
//  - owned by us and selected → keep; owned by us but no longer selected → release
//    (unless we are being deleted);
//  - owned by another controller → not ours;
//  - orphan, selected, not being deleted, and we are not being deleted → adopt.
import type { ObjectLike } from '../../client/index.js';
import { controllerRefOf } from './pods.js';

export interface ClaimPlan<T> {
  /** Ours now (kept plus to-be-adopted). */
  claimed: T[];
  adopt: T[];
  release: T[];
}

export function planClaims<T extends ObjectLike>(owner: ObjectLike, candidates: T[], selected: (obj: T) => boolean): ClaimPlan<T> {
  const ownerUid = owner.metadata?.uid;
  const ownerDeleting = !!owner.metadata?.deletionTimestamp;
  const plan: ClaimPlan<T> = { claimed: [], adopt: [], release: [] };
  for (const obj of candidates) {
    const ref = controllerRefOf(obj);
    if (ref) {
      if (ref.uid !== ownerUid) continue;
      if (selected(obj)) plan.claimed.push(obj);
      else if (!ownerDeleting) plan.release.push(obj);
      continue;
    }
    if (ownerDeleting || obj.metadata?.deletionTimestamp || !selected(obj)) continue;
    plan.adopt.push(obj);
    plan.claimed.push(obj);
  }
  return plan;
}
