// Writes that change ownership: adopt (add our controllerRef) and release (remove it).
// Both patch with the object's resourceVersion, so a racing change makes them fail
// with 409 and the next reconcile decides again from fresh state.
import type { OwnerReference } from '../../api/types.js';
import type { ObjectLike, ResourceClient } from '../../client/index.js';

export async function adopt<T extends ObjectLike>(res: ResourceClient<T>, obj: T, ref: OwnerReference): Promise<T> {
  const refs = (obj.metadata?.ownerReferences ?? []).filter((r) => r.uid !== ref.uid);
  refs.push(ref);
  return res.patch(obj.metadata!.namespace, obj.metadata!.name!, { metadata: { resourceVersion: obj.metadata!.resourceVersion, ownerReferences: refs } }, 'merge');
}

export async function release<T extends ObjectLike>(res: ResourceClient<T>, obj: T, ownerUid: string): Promise<T | undefined> {
  const refs = (obj.metadata?.ownerReferences ?? []).filter((r) => r.uid !== ownerUid);
  try {
    return await res.patch(obj.metadata!.namespace, obj.metadata!.name!, { metadata: { resourceVersion: obj.metadata!.resourceVersion, ownerReferences: refs.length ? refs : null } }, 'merge');
  } catch (err) {
    // Gone already: nothing to release (as Kubernetes ignores NotFound here).
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

/**
 * Before adopting, confirm with a live read that the owner is still the one we
 * think (same uid) and not being deleted: the cache may be stale.
 */
export async function ensureCanAdopt<T extends ObjectLike>(res: ResourceClient<T>, owner: T): Promise<void> {
  const fresh = await res.get(owner.metadata!.namespace, owner.metadata!.name!);
  if (fresh.metadata?.uid !== owner.metadata?.uid)
    throw new Error(`original ${owner.metadata!.namespace}/${owner.metadata!.name} is gone: got uid ${fresh.metadata?.uid}, wanted ${owner.metadata?.uid}`);
  if (fresh.metadata?.deletionTimestamp)
    throw new Error(`${owner.metadata!.namespace}/${owner.metadata!.name} has just been deleted at ${fresh.metadata.deletionTimestamp}`);
}
