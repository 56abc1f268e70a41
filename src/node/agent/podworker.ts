// One worker per pod bound to this node: it brings the runtime in line with the pod's spec (sandbox, init
// containers in order, containers, restarts with back-off, probes' verdicts), reports the status, and on
// deletion stops everything within the grace period before letting the API forget the pod.
// Level-triggered: every sync re-reads the runtime; the only memory kept is back-off and what was last written.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { core } from '../../api/types.js';
import type { Clock, TimerHandle } from '../../client/clock.js';
import type { EventRecorder } from '../../client/events.js';
import type { ResourceClient } from '../../client/client.js';
import {
  RuntimeNotFoundError, type ContainerInfo, type ContainerSpec, type ContainerStatusInfo, type PodRuntime, type SandboxInfo, type SandboxSpec,
} from '../../runtime/runtime.js';
import { backoffMessage, formatDuration, nextBackoff, remainingBackoff, type BackoffEntry, type BackoffSettings } from './backoff.js';
import { graceAfterPreStop, hookFailureEvent, hookFailureMessage, MINIMUM_GRACE_SECONDS, POST_START_HOOK_ERROR, runHandler } from './hooks.js';
import { removeContainerLogs } from './logrotation.js';
import { podCgroupName, setUpPodCgroup } from './podcgroup.js';
import { ProbeManager } from './probes.js';
import { qosClass } from '../shared/qos.js';
import { computePodStatus, initialPodStatus, reportedByNode, type ContainerObservation } from './status.js';
import {
  containerEnv, containerFieldPath, containerResources, dnsSettings, etcHosts, expandVars, portMappings, type EnvSources, type FieldContext,
} from './translate.js';
import { mountSource, setUpVolumes, tearDownPodDir, VolumeError, type VolumeSources } from './volumes.js';
import { removeCgroupTree } from '../../runtime/cri/host.js';

export const LABEL_POD_UID = 'io.kubernetes.pod.uid';
export const LABEL_POD_NAME = 'io.kubernetes.pod.name';
export const LABEL_POD_NAMESPACE = 'io.kubernetes.pod.namespace';
export const LABEL_CONTAINER_NAME = 'io.kubernetes.container.name';
export const LABEL_NODE = 'io.kujira.node';
/** Marks init containers, so a restart can tell them from regular ones with the same name. */
export const LABEL_CONTAINER_KIND = 'io.kujira.container.kind';

export interface PodWorkerHost {
  runtime: PodRuntime;
  pods: ResourceClient<core.Pod>;
  events: EventRecorder;
  probes: ProbeManager;
  clock: Clock;
  nodeName: string;
  hostIP: string;
  dataDir: string;
  /** The agent's own kubepods: pods' cgroups go below it by QoS class, e.g. /kujira-1a2b3c4d/burstable/pod<uid>. */
  cgroupBase: string;
  cgroupRoots: string[];
  /** Re-sums the QoS cgroups' cpu shares over the node's pods (before a pod cgroup is made, as the kubelet does). */
  updateQOSCgroups(): Promise<void>;
  clusterDNS: string[];
  node: { cpuCores: number; memoryBytes: number };
  backoff: BackoffSettings;
  imageBackoff: BackoffSettings;
  volumeSources: VolumeSources;
  envSources(namespace: string): Promise<EnvSources>;
  log(line: string): void;
}

function podKey(pod: core.Pod): string {
  return `${pod.metadata?.namespace}/${pod.metadata?.name}`;
}

export function podDirOf(dataDir: string, uid: string): string {
  return join(dataDir, 'pods', uid);
}

export function logDirOf(dataDir: string, pod: { namespace: string; name: string; uid: string }): string {
  return join(dataDir, 'pods', pod.uid, 'logs');
}

/** The image pull policy Kubernetes defaults to: Always for :latest or no tag, else IfNotPresent. */
export function pullPolicyOf(container: core.Container): 'Always' | 'IfNotPresent' | 'Never' {
  if (container.imagePullPolicy) return container.imagePullPolicy as 'Always' | 'IfNotPresent' | 'Never';
  const image = container.image ?? '';
  const lastPart = image.slice(image.lastIndexOf('/') + 1);
  if (image.includes('@')) return 'IfNotPresent';
  return !lastPart.includes(':') || lastPart.endsWith(':latest') ? 'Always' : 'IfNotPresent';
}

export function shouldRestart(policy: string | undefined, exitCode: number): boolean {
  if (policy === 'Never') return false;
  if (policy === 'OnFailure') return exitCode !== 0;
  return true;
}

interface ImagePullState {
  entry: BackoffEntry;
  failedAt: number;
  message: string;
}

export class PodWorker {
  pod: core.Pod;
  /** The pod is gone from the API (force delete, or missed while down): tear down. */
  goneFromApi = false;
  private running = false;
  private again = false;
  private timer?: TimerHandle;
  private timerAt = Infinity;
  private readonly backoffs = new Map<string, BackoffEntry>();
  private readonly imagePulls = new Map<string, ImagePullState>();
  private readonly waiting = new Map<string, { reason: string; message?: string }>();
  private lastStatusJson = '';
  /** The status writes in flight, chained: each goes out after the one before it landed, never overtaking it. */
  private statusWrites: Promise<void> = Promise.resolve();
  /** The current sandbox's IPs (they never change for a sandbox): asked once, not at every resync. */
  private sandboxIPs?: { id: string; ips: string[] };
  /** What this worker last wrote to the pod's etc-hosts file. */
  private etcHostsWritten = '';
  private terminal = false;
  private finished = false;
  private readonly uid: string;
  private stoppedForGood = false;
  private readonly postStartAbort = new AbortController();

  constructor(pod: core.Pod, private readonly host: PodWorkerHost, private readonly onFinished: (uid: string) => void) {
    this.pod = pod;
    this.uid = pod.metadata?.uid ?? '';
  }

  update(pod: core.Pod): void {
    // An event from before this worker's first status write may arrive after it: keep the status written (its startTime
    // and transition times) rather than recompute them from an older copy.
    this.pod = !reportedByNode(pod) && reportedByNode(this.pod) && pod.metadata?.uid === this.uid ? { ...pod, status: this.pod.status } : pod;
    this.kick();
  }

  /** Runs a sync now, or right after the one in progress. */
  kick(): void {
    // A pod being deleted must not wait for a postStart hook that hangs (the kubelet cancels it too).
    if (this.goneFromApi || this.pod.metadata?.deletionTimestamp) this.postStartAbort.abort();
    if (this.finished || this.stoppedForGood) return;
    if (this.running) { this.again = true; return; }
    this.running = true;
    void this.loop();
  }

  /** Stops scheduling syncs (agent shutdown); what runs finishes. */
  halt(): void {
    this.stoppedForGood = true;
    this.postStartAbort.abort();
    this.timer?.cancel();
  }

  private syncAfter(ms: number): void {
    const at = this.host.clock.now() + ms;
    if (at >= this.timerAt && this.timer) return;
    this.timer?.cancel();
    this.timerAt = at;
    this.timer = this.host.clock.setTimer(() => { this.timer = undefined; this.timerAt = Infinity; this.kick(); }, ms);
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.again = false;
        try {
          await this.sync();
        } catch (err) {
          this.host.log(`pod ${podKey(this.pod)}: ${(err as Error).message}`);
          this.syncAfter(1000);
        }
      } while (this.again && !this.finished && !this.stoppedForGood);
    } finally {
      this.running = false;
    }
  }

  /** A sync is under way (or queued right behind one). */
  get syncing(): boolean {
    return this.running;
  }

  private get podRef() {
    return { name: this.pod.metadata?.name ?? '', namespace: this.pod.metadata?.namespace ?? 'default', uid: this.uid };
  }

  private event(type: 'Normal' | 'Warning', reason: string, message: string, container?: string): void {
    // Events about a container point at it with fieldPath, as the kubelet's do.
    this.host.events.event({ ...this.pod, apiVersion: 'v1', kind: 'Pod' }, type, reason, message, container === undefined ? undefined : containerFieldPath(this.pod, container));
  }

  private async sync(): Promise<void> {
    const pod = this.pod;
    if (this.goneFromApi || pod.metadata?.deletionTimestamp) {
      await this.terminate();
      return;
    }
    const { runtime } = this.host;
    const sandboxes = (await runtime.listSandboxes({ labels: { [LABEL_POD_UID]: this.uid } })).filter((s) => s.uid === this.uid);
    let sandbox: SandboxInfo | undefined = sandboxes.filter((s) => s.state === 'ready').sort((a, b) => b.attempt - a.attempt)[0];
    const sandboxSpecFor = (attempt: number) => this.sandboxSpec(attempt);

    if (this.terminal) {
      // Terminal pods keep their exited containers (for logs) but not their sandbox.
      await this.writeStatus(sandbox ? (await runtime.sandboxStatus(sandbox.id))?.ips ?? [] : [], false, await this.observe(sandbox?.id));
      return;
    }

    if (!sandbox) {
      // First sync of a pod no node has reported: post Pending/ContainerCreating at once, as the kubelet does, without
      // waiting for it (the sandbox and image pull go ahead; later writes queue behind it). A pod with a sandbox or a
      // startTime is never reset this way: its status comes from the runtime.
      if (sandboxes.length === 0 && !reportedByNode(pod) && this.lastStatusJson === '') this.postInitialStatus();
      for (const old of sandboxes) {
        for (const c of await runtime.listContainers({ sandboxId: old.id })) this.host.probes.remove(c.id);
        await runtime.stopSandbox(old.id);
        await runtime.removeSandbox(old.id);
      }
      const attempt = sandboxes.reduce((m, s) => Math.max(m, s.attempt + 1), 0);
      await mkdir(podDirOf(this.host.dataDir, this.uid), { recursive: true });
      await mkdir(logDirOf(this.host.dataDir, this.podRef), { recursive: true });
      // A failed QoS update is logged and the pod goes on, as with the kubelet; the periodic sync retries it.
      await this.host.updateQOSCgroups().catch((err: Error) => this.host.log(`qos cgroups: ${err.message}`));
      try {
        await setUpPodCgroup(this.host.cgroupRoots, this.host.cgroupBase, pod);
      } catch (err) {
        this.event('Warning', 'FailedCreatePodContainer', `unable to ensure pod container exists: ${(err as Error).message}`);
        await this.writeStatus([], false, await this.observe(undefined));
        this.syncAfter(5000);
        return;
      }
      try {
        const id = await runtime.runSandbox(sandboxSpecFor(attempt));
        sandbox = (await runtime.listSandboxes({ labels: { [LABEL_POD_UID]: this.uid } })).find((s) => s.id === id);
        if (attempt > 0) this.event('Normal', 'SandboxChanged', 'Pod sandbox changed, it will be killed and re-created.');
      } catch (err) {
        this.event('Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${(err as Error).message}`);
        await this.writeStatus([], false, await this.observe(undefined));
        this.syncAfter(5000);
        return;
      }
      if (!sandbox) throw new Error('sandbox vanished right after it was created');
    }
    const podIPs = await this.ipsOf(sandbox.id);
    const podDir = podDirOf(this.host.dataDir, this.uid);
    // Written when it would change (a new sandbox), as the kubelet writes it once: not at every resync.
    const hosts = etcHosts(pod, podIPs, this.hostname());
    if (hosts !== this.etcHostsWritten) {
      await writeFile(join(podDir, 'etc-hosts'), hosts);
      this.etcHostsWritten = hosts;
    }

    let volumes: Map<string, string>;
    try {
      volumes = await setUpVolumes(pod, podDir, this.host.volumeSources, this.fieldContext(podIPs));
    } catch (err) {
      const message = err instanceof VolumeError ? err.message : `MountVolume.SetUp failed: ${(err as Error).message}`;
      this.event('Warning', 'FailedMount', message);
      await this.writeStatus(podIPs, true, await this.observe(sandbox.id));
      this.syncAfter(5000);
      return;
    }

    const spec = pod.spec ?? { containers: [] };
    const policy = spec.restartPolicy ?? 'Always';
    let byName = await this.containersByName(sandbox.id);

    // Init containers, one at a time, each to successful completion.
    let initDone = true;
    for (const ic of spec.initContainers ?? []) {
      const [latest] = byName.get(`init:${ic.name}`) ?? [];
      if (latest?.state === 'exited' && latest.exitCode === 0) continue;
      initDone = false;
      if (latest?.state === 'running') break;
      if (latest) {
        if (policy === 'Never') { this.terminal = true; break; }
        if (!(await this.mayRestart(ic, latest))) break;
      }
      await this.startContainer(ic, 'init', latest ? latest.attempt + 1 : 0, sandbox.id, podIPs, volumes);
      break;
    }

    if (initDone && !this.terminal) {
      // The kubelet publishes the pod as it was before this sync's actions, so users see PodInitializing between the
      // last init container and the app containers; one write, once per pod with init containers.
      if ((spec.initContainers?.length ?? 0) > 0 && spec.containers.some((c) => !byName.has(`app:${c.name}`))) {
        await this.writeStatus(podIPs, true, await this.observe(sandbox.id, byName));
      }
      for (const c of spec.containers) {
        const [latest] = byName.get(`app:${c.name}`) ?? [];
        if (latest?.state === 'running') {
          this.waiting.delete(c.name);
          this.host.probes.ensure(pod, c, latest.id, latest.startedAt, podIPs[0] ?? '');
          const probes = this.host.probes.view(latest.id);
          if (probes.livenessFailed || probes.startupFailed) {
            const which = probes.startupFailed ? 'startup' : 'liveness';
            // A probe's own terminationGracePeriodSeconds overrides the pod's for this kill.
            const probe = probes.startupFailed ? c.startupProbe : c.livenessProbe;
            this.host.probes.remove(latest.id);
            await this.killContainer(c, latest.id, `Container ${c.name} failed ${which} probe, will be restarted`,
              probe?.terminationGracePeriodSeconds ?? this.graceSeconds(), podIPs[0] ?? '');
            this.again = true;
          }
          continue;
        }
        if (!latest) {
          await this.startContainer(c, 'app', 0, sandbox.id, podIPs, volumes);
          continue;
        }
        // Exited (or created but never started: a failed start).
        this.host.probes.remove(latest.id);
        if (!shouldRestart(policy, latest.exitCode)) { this.waiting.delete(c.name); continue; }
        if (!(await this.mayRestart(c, latest))) continue;
        await this.startContainer(c, 'app', latest.attempt + 1, sandbox.id, podIPs, volumes);
      }
    }

    byName = await this.containersByName(sandbox.id);
    const observation = await this.observe(sandbox.id, byName);
    const status = await this.writeStatus(podIPs, true, observation);
    if (status.phase === 'Succeeded' || status.phase === 'Failed') {
      this.terminal = true;
      for (const list of byName.values()) for (const c of list) this.host.probes.remove(c.id);
      await runtime.stopSandbox(sandbox.id);
    }
  }

  /** Checks the crash-loop back-off; when waiting, records CrashLoopBackOff and schedules the next sync. */
  private async mayRestart(c: core.Container, latest: ContainerStatusInfo): Promise<boolean> {
    const now = this.host.clock.now();
    const ranFor = latest.finishedAt && latest.startedAt ? latest.finishedAt - latest.startedAt : 0;
    let entry = this.backoffs.get(c.name);
    if (!entry && latest.attempt > 0) {
      // Rebuilt after an agent restart: the back-off the restart count implies.
      entry = { delayMs: Math.min(this.host.backoff.baseMs * 2 ** (latest.attempt - 1), this.host.backoff.maxMs) };
      this.backoffs.set(c.name, entry);
    }
    const wait = remainingBackoff(entry, latest.finishedAt || now, ranFor, now, this.host.backoff);
    if (wait > 0 && entry) {
      const message = backoffMessage(entry.delayMs, c.name, this.podRef);
      if (this.waiting.get(c.name)?.reason !== 'CrashLoopBackOff') {
        this.event('Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${this.podRef.name}_${this.podRef.namespace}(${this.uid})`, c.name);
      }
      this.waiting.set(c.name, { reason: 'CrashLoopBackOff', message });
      this.syncAfter(wait);
      return false;
    }
    this.backoffs.set(c.name, nextBackoff(entry, ranFor, this.host.backoff));
    return true;
  }

  private hostname(): string {
    return (this.pod.spec?.hostname ?? this.pod.metadata?.name ?? 'pod').slice(0, 63);
  }

  private cgroupParent(): string {
    return podCgroupName(this.host.cgroupBase, qosClass(this.pod), this.uid);
  }

  private graceSeconds(): number {
    return this.pod.spec?.terminationGracePeriodSeconds ?? 30;
  }

  private sandboxSpec(attempt: number): SandboxSpec {
    const pod = this.pod;
    const dns = dnsSettings(pod, this.host.clusterDNS);
    return {
      name: pod.metadata?.name ?? '',
      namespace: pod.metadata?.namespace ?? 'default',
      uid: this.uid,
      attempt,
      hostname: this.hostname(),
      logDirectory: logDirOf(this.host.dataDir, this.podRef),
      ...(dns ? { dns } : {}),
      portMappings: portMappings(pod),
      labels: {
        ...(pod.metadata?.labels ?? {}),
        [LABEL_POD_UID]: this.uid, [LABEL_POD_NAME]: this.podRef.name, [LABEL_POD_NAMESPACE]: this.podRef.namespace, [LABEL_NODE]: this.host.nodeName,
      },
      annotations: {},
      cgroupParent: this.cgroupParent(),
      shareProcessNamespace: !!pod.spec?.shareProcessNamespace,
    };
  }

  private async ipsOf(sandboxId: string): Promise<string[]> {
    if (this.sandboxIPs?.id === sandboxId) return this.sandboxIPs.ips;
    const status = await this.host.runtime.sandboxStatus(sandboxId);
    if (!status) return [];
    this.sandboxIPs = { id: sandboxId, ips: status.ips };
    return status.ips;
  }

  private fieldContext(podIPs: string[]): FieldContext {
    return { pod: this.pod, podIPs, hostIP: this.host.hostIP, nodeName: this.host.nodeName };
  }

  /** The runtime's containers of this sandbox grouped by kind:name, newest attempt first; older ones beyond two are removed. */
  private async containersByName(sandboxId: string): Promise<Map<string, ContainerStatusInfo[]>> {
    const { runtime } = this.host;
    const listed = await runtime.listContainers({ sandboxId });
    const groups = new Map<string, ContainerInfo[]>();
    for (const c of listed) {
      const key = `${c.labels[LABEL_CONTAINER_KIND] ?? 'app'}:${c.name}`;
      groups.set(key, [...(groups.get(key) ?? []), c]);
    }
    const out = new Map<string, ContainerStatusInfo[]>();
    for (const [key, list] of groups) {
      list.sort((a, b) => b.attempt - a.attempt || b.createdAt - a.createdAt);
      const keep: ContainerStatusInfo[] = [];
      for (const [i, c] of list.entries()) {
        if (i >= 2) {
          // Older attempts than the previous one: their logs are no longer reachable, so both go.
          const st = await runtime.containerStatus(c.id);
          await runtime.removeContainer(c.id);
          if (st?.logPath) await removeContainerLogs(st.logPath);
          continue;
        }
        const st = await runtime.containerStatus(c.id);
        if (st) keep.push({ ...st, sandboxId });
      }
      out.set(key, keep);
    }
    return out;
  }

  private async observe(sandboxId: string | undefined, byName?: Map<string, ContainerStatusInfo[]>): Promise<{ init: ContainerObservation[]; main: ContainerObservation[] }> {
    const groups = byName ?? (sandboxId ? await this.containersByName(sandboxId) : new Map<string, ContainerStatusInfo[]>());
    const make = (kind: 'init' | 'app', c: core.Container): ContainerObservation => {
      const [current, previous] = groups.get(`${kind}:${c.name}`) ?? [];
      const probes = current?.state === 'running' ? this.host.probes.view(current.id) : { ready: false, started: false };
      const waiting = this.waiting.get(c.name);
      return {
        name: c.name, current, previous, ready: kind === 'app' ? probes.ready : false, started: probes.started,
        // A waiting reason applies to an exited container only while it waits for its next start.
        waiting: current?.state === 'running' ? undefined : waiting,
      };
    };
    return {
      init: (this.pod.spec?.initContainers ?? []).map((c) => make('init', c)),
      main: (this.pod.spec?.containers ?? []).map((c) => make('app', c)),
    };
  }

  private postInitialStatus(): void {
    this.queueStatus(() => initialPodStatus(this.pod, this.host.hostIP, this.host.clock.now())).then(
      () => { if (this.goneFromApi) this.kick(); },
      (err: Error) => this.host.log(`pod ${podKey(this.pod)}: initial status: ${err.message}`),
    );
  }

  private writeStatus(podIPs: string[], sandboxReady: boolean, obs: { init: ContainerObservation[]; main: ContainerObservation[] }): Promise<core.PodStatus> {
    return this.queueStatus(() => computePodStatus({
      pod: this.pod, sandboxReady, podIPs, hostIP: this.host.hostIP, initContainers: obs.init, containers: obs.main, now: this.host.clock.now(),
    }));
  }

  /**
   * Writes go out one after another in the order asked for, so a later status never lands before an earlier one; each
   * is computed once the write before it has landed, against the pod that write returned (startTime, transition times).
   */
  private queueStatus(compute: () => core.PodStatus): Promise<core.PodStatus> {
    const write = this.statusWrites.then(() => this.putStatus(compute()));
    // The chain's tail keeps no status alive once written.
    this.statusWrites = write.then(() => undefined, () => undefined);
    return write;
  }

  private async putStatus(status: core.PodStatus): Promise<core.PodStatus> {
    const json = JSON.stringify(status);
    if (json !== this.lastStatusJson) {
      try {
        // PUT /status with the newest resourceVersion (read again on a conflict): works on any API server.
        let updated: core.Pod;
        try {
          updated = await this.host.pods.updateStatus(this.podRef.namespace, { ...this.pod, status });
        } catch (err) {
          if ((err as { code?: number }).code !== 409) throw err;
          const fresh = await this.host.pods.get(this.podRef.namespace, this.podRef.name);
          if (fresh.metadata?.uid !== this.uid) throw Object.assign(new Error('pod was replaced'), { code: 404 });
          updated = await this.host.pods.updateStatus(this.podRef.namespace, { ...fresh, status });
        }
        this.lastStatusJson = json;
        if (updated?.metadata?.uid === this.uid) this.pod = updated;
      } catch (err) {
        if ((err as { code?: number }).code === 404) { this.goneFromApi = true; this.again = true; return status; }
        throw err;
      }
    }
    return status;
  }

  /** Pulls the image as the policy says; false (with the waiting reason recorded) when it cannot be had now. */
  private async ensureImage(c: core.Container): Promise<boolean> {
    const { runtime } = this.host;
    const image = c.image ?? '';
    const policy = pullPolicyOf(c);
    const present = await runtime.imageStatus(image);
    if (policy === 'Never') {
      if (present) return true;
      const message = `Container image "${image}" is not present with pull policy of Never`;
      this.event('Warning', 'ErrImageNeverPull', message, c.name);
      this.waiting.set(c.name, { reason: 'ErrImageNeverPull', message });
      this.syncAfter(this.host.imageBackoff.baseMs);
      return false;
    }
    if (policy === 'IfNotPresent' && present) {
      this.event('Normal', 'Pulled', `Container image "${image}" already present on machine`, c.name);
      return true;
    }
    const now = this.host.clock.now();
    const failed = this.imagePulls.get(image);
    if (failed) {
      const wait = remainingBackoff(failed.entry, failed.failedAt, 0, now, this.host.imageBackoff);
      if (wait > 0) {
        this.event('Normal', 'BackOff', `Back-off pulling image "${image}"`, c.name);
        this.waiting.set(c.name, { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}": ${failed.message}` });
        this.syncAfter(wait);
        return false;
      }
    }
    this.event('Normal', 'Pulling', `Pulling image "${image}"`, c.name);
    const started = Date.now();
    try {
      await runtime.pullImage(image);
      this.imagePulls.delete(image);
      const took = ((Date.now() - started) / 1000).toFixed(3);
      const size = (await runtime.imageStatus(image))?.size ?? 0;
      this.event('Normal', 'Pulled', `Successfully pulled image "${image}" in ${took}s (${took}s including waiting). Image size: ${size} bytes.`, c.name);
      return true;
    } catch (err) {
      // Worded as the kubelet passes the runtime's gRPC error on.
      const detail = err instanceof RuntimeNotFoundError ? `rpc error: code = NotFound desc = ${err.message}`
        : `rpc error: code = Unknown desc = ${(err as Error).message.replace(/^CRI \w+: /, '')}`;
      const message = `Failed to pull image "${image}": ${detail}`;
      this.event('Warning', 'Failed', message, c.name);
      this.event('Warning', 'Failed', 'Error: ErrImagePull', c.name);
      this.imagePulls.set(image, { entry: nextBackoff(failed?.entry, 0, this.host.imageBackoff), failedAt: this.host.clock.now(), message: detail });
      this.waiting.set(c.name, { reason: 'ErrImagePull', message });
      // Come back while the back-off still runs, so ImagePullBackOff shows between two attempts as with the kubelet.
      this.syncAfter(Math.min(Math.floor(this.imagePulls.get(image)!.entry.delayMs / 2), 1000));
      return false;
    }
  }

  private async startContainer(c: core.Container, kind: 'init' | 'app', attempt: number, sandboxId: string, podIPs: string[], volumes: Map<string, string>): Promise<void> {
    const { runtime } = this.host;
    if (!(await this.ensureImage(c))) return;
    let spec: ContainerSpec;
    try {
      spec = await this.containerSpec(c, kind, attempt, podIPs, volumes);
    } catch (err) {
      const message = (err as Error).message;
      this.event('Warning', 'Failed', `Error: ${message}`, c.name);
      this.waiting.set(c.name, { reason: 'CreateContainerConfigError', message });
      this.syncAfter(5000);
      return;
    }
    let id: string;
    try {
      id = await runtime.createContainer(sandboxId, spec, this.sandboxSpec(0));
    } catch (err) {
      const message = (err as Error).message.replace(/^CRI CreateContainer: /, '');
      this.event('Warning', 'Failed', `Error: ${message}`, c.name);
      this.waiting.set(c.name, { reason: 'CreateContainerError', message });
      this.syncAfter(5000);
      return;
    }
    this.event('Normal', 'Created', `Created container: ${c.name}`, c.name);
    try {
      await runtime.startContainer(id);
      this.waiting.delete(c.name);
      this.event('Normal', 'Started', `Started container ${c.name}`, c.name);
    } catch (err) {
      const message = (err as Error).message.replace(/^CRI StartContainer: /, '');
      this.event('Warning', 'Failed', `Error: ${message}`, c.name);
      this.waiting.set(c.name, { reason: 'RunContainerError', message });
      this.again = true;
      return;
    }
    // postStart runs before the pod's next container starts (the kubelet waits for it too); a failure kills the container.
    const postStart = c.lifecycle?.postStart;
    if (postStart) {
      const result = await runHandler(postStart, { pod: this.pod, container: c, containerId: id, podIP: podIPs[0] ?? '' }, runtime, this.host.clock, this.postStartAbort.signal);
      if (result.kind !== 'ok') {
        const ev = hookFailureEvent('postStart');
        this.event(ev.type, ev.reason, ev.message, c.name);
        await this.killContainer(c, id, 'FailedPostStartHook', this.graceSeconds(), podIPs[0] ?? '');
        this.waiting.set(c.name, { reason: POST_START_HOOK_ERROR, message: hookFailureMessage(result, c.name, this.pod) });
        this.again = true;
      }
    }
  }

  /**
   * Stops one running container as the kubelet's killContainer does: a Killing event, the preStop hook within the
   * grace period, then TERM and KILL after what is left of it (never less than two seconds).
   */
  private async killContainer(spec: core.Container | undefined, id: string, message: string, graceSeconds: number, podIP: string): Promise<void> {
    const { runtime, clock } = this.host;
    this.event('Normal', 'Killing', message, spec?.name);
    let grace = graceSeconds;
    const preStop = spec?.lifecycle?.preStop;
    if (spec && preStop && grace > 0) {
      const started = clock.now();
      const hook = runHandler(preStop, { pod: this.pod, container: spec, containerId: id, podIP }, runtime, clock).then((result) => {
        if (result.kind === 'ok') return;
        const ev = hookFailureEvent('preStop');
        this.event(ev.type, ev.reason, ev.message, spec.name);
        this.host.log(`pod ${podKey(this.pod)}: ${hookFailureMessage(result, spec.name, this.pod)}`);
      });
      // The hook may outlive the grace period; then the container is stopped anyway (the hook finishes on its own).
      let timer: TimerHandle | undefined;
      await Promise.race([hook, new Promise<void>((resolve) => { timer = clock.setTimer(resolve, grace * 1000); })]);
      timer?.cancel();
      grace = graceAfterPreStop(grace, (clock.now() - started) / 1000);
    }
    // As the kubelet: even a zero grace period leaves the container two seconds to stop.
    await runtime.stopContainer(id, Math.max(grace, MINIMUM_GRACE_SECONDS));
  }

  private async containerSpec(c: core.Container, kind: 'init' | 'app', attempt: number, podIPs: string[], volumes: Map<string, string>): Promise<ContainerSpec> {
    const pod = this.pod;
    const ns = this.podRef.namespace;
    const env = containerEnv(c, this.fieldContext(podIPs), await this.host.envSources(ns), this.host.node);
    const vars = new Map(env.map((e) => [e.name, e.value]));
    const mounts: ContainerSpec['mounts'] = [];
    for (const m of c.volumeMounts ?? []) {
      const base = volumes.get(m.name);
      if (base === undefined) throw new Error(`cannot find volume "${m.name}" to mount into container "${c.name}"`);
      const subPath = m.subPathExpr ? expandVars(m.subPathExpr, vars) : m.subPath;
      mounts.push({ containerPath: m.mountPath, hostPath: await mountSource(base, subPath), readOnly: !!m.readOnly });
    }
    if (!pod.spec?.hostNetwork && !mounts.some((m) => m.containerPath === '/etc/hosts')) {
      mounts.push({ containerPath: '/etc/hosts', hostPath: join(podDirOf(this.host.dataDir, this.uid), 'etc-hosts'), readOnly: false });
    }
    const qos = qosClass(pod);
    const sc = c.securityContext ?? {};
    const podSc = pod.spec?.securityContext ?? {};
    return {
      name: c.name,
      attempt,
      image: c.image ?? '',
      command: (c.command ?? []).map((s) => expandVars(s, vars)),
      args: (c.args ?? []).map((s) => expandVars(s, vars)),
      workingDir: c.workingDir,
      env,
      mounts,
      labels: {
        [LABEL_POD_UID]: this.uid, [LABEL_POD_NAME]: this.podRef.name, [LABEL_POD_NAMESPACE]: ns,
        [LABEL_CONTAINER_NAME]: c.name, [LABEL_CONTAINER_KIND]: kind, [LABEL_NODE]: this.host.nodeName,
      },
      annotations: { 'io.kubernetes.container.restartCount': String(attempt) },
      logPath: `${c.name}/${attempt}.log`,
      resources: containerResources(c, qos, this.host.node.memoryBytes),
      tty: !!c.tty,
      stdin: !!c.stdin,
      stdinOnce: !!c.stdinOnce,
      privileged: !!sc.privileged,
      runAsUser: sc.runAsUser ?? podSc.runAsUser,
      runAsGroup: sc.runAsGroup ?? podSc.runAsGroup,
      readOnlyRootFilesystem: !!sc.readOnlyRootFilesystem,
      capabilities: sc.capabilities ? { add: sc.capabilities.add ?? [], drop: sc.capabilities.drop ?? [] } : undefined,
      shareProcessNamespace: !!pod.spec?.shareProcessNamespace,
    };
  }

  /** Graceful termination: preStop, TERM, KILL at the grace period; then the sandbox, cgroups, volumes and logs; then the API object. */
  private async terminate(): Promise<void> {
    const { runtime } = this.host;
    const pod = this.pod;
    this.host.probes.removePod(this.uid);
    const grace = this.goneFromApi
      ? Math.min(this.graceSeconds(), MINIMUM_GRACE_SECONDS)
      : Math.max(pod.metadata?.deletionGracePeriodSeconds ?? this.graceSeconds(), 0);
    const deadline = this.host.clock.now() + grace * 1000;
    const sandboxes = (await runtime.listSandboxes({ labels: { [LABEL_POD_UID]: this.uid } })).filter((s) => s.uid === this.uid);
    for (const sb of sandboxes) {
      const containers = await runtime.listContainers({ sandboxId: sb.id });
      const podIP = (await runtime.sandboxStatus(sb.id))?.ips[0] ?? '';
      await Promise.all(containers.filter((c) => c.state === 'running').map(async (c) => {
        const spec = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((s) => s.name === c.name);
        const remaining = Math.max(0, Math.ceil((deadline - this.host.clock.now()) / 1000));
        await this.killContainer(spec, c.id, `Stopping container ${c.name}`, remaining, podIP);
      }));
    }
    if (!this.goneFromApi) {
      // Report the stopped containers before the object goes.
      const last = sandboxes[0];
      await this.writeStatus([], false, await this.observe(last?.id)).catch(() => undefined);
    }
    for (const sb of sandboxes) {
      await runtime.stopSandbox(sb.id);
      await runtime.removeSandbox(sb.id);
    }
    await tearDownPodDir(podDirOf(this.host.dataDir, this.uid));
    for (const root of this.host.cgroupRoots) await removeCgroupTree(join(root, this.cgroupParent()));
    if (!this.goneFromApi) {
      try {
        await this.host.pods.delete(this.podRef.namespace, this.podRef.name, { gracePeriodSeconds: 0, preconditions: { uid: this.uid } });
      } catch (err) {
        const code = (err as { code?: number }).code;
        if (code !== 404 && code !== 409) throw err;
      }
    }
    this.finished = true;
    this.timer?.cancel();
    this.onFinished(this.uid);
  }
}

export { formatDuration };
