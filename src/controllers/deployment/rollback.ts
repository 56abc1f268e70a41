// Server-side rollback, for clients that still ask for it with the
// `deprecated.deployment.rollback.to` annotation (the apps/v1 form of the old
// rollbackTo field). kubectl 1.32 rolls back client-side instead: it patches the
// Deployment's template from the old ReplicaSet, and the sync then finds that
// ReplicaSet as the "new" one and gives it the next revision number.
import type { apps } from '../../api/types.js';
import type { SyncResult, Syncer } from './sync.js';
import { POD_TEMPLATE_HASH_LABEL, ROLLBACK_TO_ANNOTATION, equalIgnoreHash, lastRevision, parseRevision, revisionOf } from './util.js';

type Deployment = apps.Deployment;
type ReplicaSet = apps.ReplicaSet;

/** The revision asked for, or undefined when none (or an unparsable one) is. 0 means "the previous one". */
export function rollbackTo(d: Deployment): bigint | undefined {
  const v = d.metadata?.annotations?.[ROLLBACK_TO_ANNOTATION];
  return v ? parseRevision(v) : undefined;
}

/** Which ReplicaSet a rollback to `revision` restores (pure). */
export function rollbackTarget(rsList: ReplicaSet[], revision: bigint): ReplicaSet | undefined {
  const target = revision === 0n ? lastRevision(rsList) : revision;
  if (target === 0n) return undefined;
  return rsList.find((rs) => revisionOf(rs) === target);
}

export async function rollback(s: Syncer, d: Deployment, rsList: ReplicaSet[]): Promise<SyncResult> {
  const revision = rollbackTo(d)!;
  const target = rollbackTarget(rsList, revision);
  const annotations: Record<string, string | null> = { [ROLLBACK_TO_ANNOTATION]: null };
  if (!target) {
    if (revision === 0n) s.recorder.event(d, 'Warning', 'DeploymentRollbackRevisionNotFound', 'Unable to find last revision.');
    else s.recorder.event(d, 'Warning', 'DeploymentRollbackRevisionNotFound', `Unable to find the revision to rollback to.`);
    await s.patchDeployment(d, { metadata: { annotations } }, 'merge');
    return;
  }
  if (equalIgnoreHash(target.spec?.template, d.spec?.template)) {
    s.recorder.event(d, 'Warning', 'DeploymentRollbackTemplateUnchanged', `The rollback revision contains the same template as current deployment "${d.metadata!.name}"`);
    await s.patchDeployment(d, { metadata: { annotations } }, 'merge');
    return;
  }
  const template = structuredClone(target.spec!.template!);
  if (template.metadata?.labels) delete template.metadata.labels[POD_TEMPLATE_HASH_LABEL];
  // A JSON patch replaces the template whole; a merge patch would keep fields the old revision did not have.
  const ops = [
    { op: 'replace', path: '/spec/template', value: template },
    { op: 'remove', path: `/metadata/annotations/${ROLLBACK_TO_ANNOTATION}` },
  ];
  await s.patchDeployment(d, ops, 'json');
  s.recorder.event(d, 'Normal', 'DeploymentRollback', `Rolled back deployment "${d.metadata!.name}" to revision ${revisionOf(target)}`);
}
