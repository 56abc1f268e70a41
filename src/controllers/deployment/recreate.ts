// Recreate: scale every old ReplicaSet to zero, wait until their pods are gone, then
// create (or reuse) the new ReplicaSet at full size.
import type { apps, core } from '../../api/types.js';
import { syncRolloutStatus } from './progress.js';
import type { SyncResult, Syncer } from './sync.js';
import { deploymentComplete, filterActive, oldPodsRunning, replicasOf } from './util.js';

type Deployment = apps.Deployment;
type ReplicaSet = apps.ReplicaSet;

export async function rolloutRecreate(s: Syncer, d: Deployment, rsList: ReplicaSet[], podsByRS: Map<string, core.Pod[]>): Promise<SyncResult> {
  // Do not create the new RS yet: scaling up before the old pods are gone is what Recreate forbids.
  let r = await s.getAllReplicaSetsAndSyncRevision(d, rsList, false);
  d = r.d;
  let allRSs = [...r.oldRSs, r.newRS];

  if (await scaleDownOldReplicaSetsForRecreate(s, filterActive(r.oldRSs), d)) return syncRolloutStatus(s, allRSs, r.newRS, d);
  if (oldPodsRunning(r.newRS, r.oldRSs, podsByRS)) return syncRolloutStatus(s, allRSs, r.newRS, d);

  if (!r.newRS) {
    r = await s.getAllReplicaSetsAndSyncRevision(d, rsList, true);
    d = r.d;
    allRSs = [...r.oldRSs, r.newRS];
  }
  if (r.newRS && replicasOf(r.newRS) !== replicasOf(d)) await s.scaleReplicaSetAndRecordEvent(r.newRS, replicasOf(d), d);
  if (deploymentComplete(d, d.status ?? {})) await s.cleanupDeployment(r.oldRSs, d);
  return syncRolloutStatus(s, allRSs, r.newRS, d);
}

async function scaleDownOldReplicaSetsForRecreate(s: Syncer, oldRSs: ReplicaSet[], d: Deployment): Promise<boolean> {
  let scaled = false;
  for (const rs of oldRSs) {
    if (replicasOf(rs) === 0) continue;
    if ((await s.scaleReplicaSetAndRecordEvent(rs, 0, d)).scaled) scaled = true;
  }
  return scaled;
}
