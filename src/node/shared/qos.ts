// Pod QoS class, as kubectl describe and the status field `qosClass` show it.
import type { core } from '../../api/types.js';
import { toAmounts } from './resources.js';

export type QOSClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

const COMPUTE = ['cpu', 'memory'];

/**
 * BestEffort: no container sets cpu/memory requests or limits.
 * Guaranteed: every container sets cpu and memory limits, and requests (if set) equal them.
 * Burstable: anything else.
 */
export function qosClass(pod: core.Pod): QOSClass {
  const containers = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  let any = false;
  let guaranteed = true;
  for (const c of containers) {
    const req = toAmounts(c.resources?.requests);
    const lim = toAmounts(c.resources?.limits);
    for (const r of COMPUTE) {
      if (req[r] !== undefined && req[r] !== 0) any = true;
      if (lim[r] !== undefined && lim[r] !== 0) any = true;
      if (lim[r] === undefined || lim[r] === 0) guaranteed = false;
      else if (req[r] !== undefined && req[r] !== lim[r]) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}
