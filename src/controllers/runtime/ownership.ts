// Writes that change ownership: adopt (add our controllerRef) and release (remove it).
// Both are JSON patches guarded by `test` ops on the uid and on the owner references
// we based the change on: a racing ownership change fails the patch and the next
// reconcile decides again from fresh state, while unrelated writes (status) do not.
import type { OwnerReference } from '../../api/types.js';
import type { ObjectLike, ResourceClient } from '../../client/index.js';

/** JSON patch ops that replace ownerReferences with `refs`, if they are still what `obj` had. */
export function ownerRefsPatch(obj: ObjectLike, refs: OwnerReference[]): unknown[] {
  const current = obj.metadata?.ownerReferences;
  const ops: unknown[] = [{ op: 'test', path: '/metadata/uid', value: obj.metadata!.uid }];
  if (current?.length) {
    ops.push({ op: 'test', path: '/metadata/ownerReferences', value: current });
    ops.push(refs.length ? { op: 'replace', path: '/metadata/ownerReferences', value: refs } : { op: 'remove', path: '/metadata/ownerReferences' });
  } else if (refs.length) {
    ops.push({ op: 'add', path: '/metadata/ownerReferences', value: refs });
  }
  return ops;
}

export async function adopt<T extends ObjectLike>(res: ResourceClient<T>, obj: T, ref: OwnerReference): Promise<T> {
  const refs = (obj.metadata?.ownerReferences ?? []).filter((r) => r.uid !== ref.uid);
  refs.push(ref);
  return res.patch(obj.metadata!.namespace, obj.metadata!.name!, ownerRefsPatch(obj, refs), 'json');
}

export async function release<T extends ObjectLike>(res: ResourceClient<T>, obj: T, ownerUid: string): Promise<T | undefined> {
  const refs = (obj.metadata?.ownerReferences ?? []).filter((r) => r.uid !== ownerUid);
  try {
    return await res.patch(obj.metadata!.namespace, obj.metadata!.name!, ownerRefsPatch(obj, refs), 'json');
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
