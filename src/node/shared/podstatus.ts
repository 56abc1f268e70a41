// Pure pod-status computation a node (simulated or real) uses to report what its
// containers are doing: phase, conditions, container-status shapes.
import type { core } from '../../api/types.js';

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

export function restartPolicyOf(pod: core.Pod): RestartPolicy {
  const p = pod.spec?.restartPolicy;
  return p === 'OnFailure' || p === 'Never' ? p : 'Always';
}

/** Will a container that exited with this code be started again? */
export function shouldRestart(policy: RestartPolicy, exitCode: number): boolean {
  return policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0);
}

/**
 * The pod phase from its container statuses, as the kubelet computes it:
 * Pending while initializing or while a container has never run; Running while any runs
 * (or will be restarted); Succeeded / Failed once all stopped for good.
 */
export function podPhase(
  policy: RestartPolicy,
  initialized: boolean,
  statuses: readonly core.ContainerStatus[],
  containerCount: number,
): 'Pending' | 'Running' | 'Succeeded' | 'Failed' {
  if (!initialized) return 'Pending';
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const s of statuses) {
    if (s.state?.running) running++;
    else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.lastState?.terminated) {
      stopped++;
      if (s.lastState.terminated.exitCode === 0) succeeded++;
    } else waiting++;
  }
  waiting += Math.max(0, containerCount - statuses.length);
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped === 0) return 'Pending';
  if (policy === 'Always') return 'Running';
  if (policy === 'OnFailure') return stopped === succeeded ? 'Succeeded' : 'Running';
  // Never: a container that stopped will not come back.
  const terminal = statuses.every((s) => s.state?.terminated);
  if (!terminal) return 'Running';
  return stopped === succeeded ? 'Succeeded' : 'Failed';
}

/** "docker.io/library/nginx:latest" for "nginx", as containerd reports image names. */
export function normalizeImage(image: string): string {
  let name = image;
  const hasTagOrDigest = /@|:[^/]+$/.test(name);
  if (!hasTagOrDigest) name += ':latest';
  const first = name.split('/')[0]!;
  const isRegistry = name.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (isRegistry) return name;
  if (!name.includes('/')) return `docker.io/library/${name}`;
  return `docker.io/${name}`;
}

/** Reason and message of the ContainersReady / Ready conditions when some containers are not ready. */
export function notReadyMessage(names: readonly string[]): string {
  return `containers with unready status: [${names.join(' ')}]`;
}

export function notInitializedMessage(names: readonly string[]): string {
  return `containers with incomplete status: [${names.join(' ')}]`;
}
