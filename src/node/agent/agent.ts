// The node agent: registers this machine as a Node, keeps its Lease fresh, watches the pods bound to it and
// runs one PodWorker per pod against containerd, and serves logs and usage on its kubelet endpoint.
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { core } from '../../api/types.js';
import type { KubeClient } from '../../client/client.js';
import { realClock, type Clock, type TimerHandle } from '../../client/clock.js';
import { EventRecorder } from '../../client/events.js';
import { Informer } from '../../client/informer.js';
import { CONFIGMAPS, LEASES, NODES, PODS, type ResourceType } from '../../client/resources.js';
import { startContainerd, type ContainerdHandle } from '../../runtime/cri/containerd.js';
import { cgroupRoots, removeCgroupTree } from '../../runtime/cri/host.js';
import { CriRuntime } from '../../runtime/cri/runtime.js';
import { DEFAULT_BACKOFF, type BackoffSettings } from './backoff.js';
import { machineFacts, registerNode, renewLease, updateNodeStatus, type NodeIdentity } from './node.js';
import { LABEL_NODE, LABEL_POD_UID, PodWorker, podDirOf, type PodWorkerHost } from './podworker.js';
import { applyQOSCgroupShares, podCgroupCandidates, qosCgroupShares } from './podcgroup.js';
import { ProbeManager } from './probes.js';
import { containerFieldPath, type EnvSources } from './translate.js';
import { startEndpoint, type RunningEndpoint } from './server.js';
import { tearDownPodDir } from './volumes.js';
import { DEFAULT_LOG_ROTATION, rotateContainerLog, validateLogRotation, type LogRotationPolicy } from './logrotation.js';

const SECRETS: ResourceType<core.Secret> = Object.freeze({ group: '', version: 'v1', resource: 'secrets', kind: 'Secret', namespaced: true });

export interface NodeAgentOptions {
  /** Use the containerd at this CRI socket instead of starting a private one. */
  containerdSocket?: string;
  /** Pod subnet (default: a free 10.x.y.0/24). */
  podSubnet?: string;
  /** Let pods reach other networks through NAT (off: pod traffic never leaves this machine). */
  ipMasq?: boolean;
  /** Address reported as the node's InternalIP and the pods' hostIP; the kubelet endpoint binds to it. Default 127.0.0.1. */
  nodeIP?: string;
  /** Nameservers written into pods' resolv.conf (dnsPolicy ClusterFirst). */
  clusterDNS?: string[];
  /** PEM of the CA whose client certificates may use the kubelet endpoint (the API server's kubelet-client cert). */
  clientCA?: string;
  /** A bearer token that may use the kubelet endpoint (in addition to client certificates). */
  endpointToken?: string;
  /** Kubelet endpoint port (default: any free port). */
  endpointPort?: number;
  /** Crash-loop back-off (base 10 s, cap 5 min, reset after 10 min). */
  backoff?: Partial<BackoffSettings>;
  /** Image pull back-off (same defaults). */
  imageBackoff?: Partial<BackoffSettings>;
  clock?: Clock;
  /** Rotate a container's log once it reaches this many bytes (the kubelet's --container-log-max-size, default 10Mi). */
  containerLogMaxSize?: number;
  /** Log files kept per container, the current one included (--container-log-max-files, default 5, at least 2). */
  containerLogMaxFiles?: number;
  /** How often log sizes are checked (ms, default 10 s as the kubelet's containerLogMonitorInterval). */
  containerLogMonitorIntervalMs?: number;
  /** How often the runtime is relisted to notice exits (ms, default 1000). */
  relistIntervalMs?: number;
  /** How often the Lease is renewed (ms, default 10 s) and the node status re-posted (default 60 s). */
  leaseRenewIntervalMs?: number;
  nodeStatusIntervalMs?: number;
  /** How often the QoS cgroups' cpu shares are re-summed regardless of pod changes (the kubelet's minute). */
  qosCgroupSyncIntervalMs?: number;
  log?: (line: string) => void;
}

export interface StartNodeAgentArgs {
  client: KubeClient;
  dataDir: string;
  nodeName: string;
  options?: NodeAgentOptions;
}

export interface NodeAgent {
  readonly nodeName: string;
  readonly kubeletPort: number;
  readonly containerd: ContainerdHandle;
  readonly runtime: CriRuntime;
  /** Some pod worker is syncing its pod (starting, stopping, reporting). */
  busy(): boolean;
  /**
   * Stops the agent. By default every pod's containers, sandboxes, volumes and cgroups go too, and the
   * private containerd with its bridge and firewall rule. keepRuntime leaves containerd and the pods running
   * (an agent restart picks them up again).
   */
  stop(options?: { keepRuntime?: boolean }): Promise<void>;
}

export async function startNodeAgent(args: StartNodeAgentArgs): Promise<NodeAgent> {
  const options = args.options ?? {};
  const { client, nodeName } = args;
  const dataDir = resolve(args.dataDir);
  const clock = options.clock ?? realClock;
  const log = options.log ?? ((line: string) => console.error(`[agent ${nodeName}] ${line}`));
  const nodeIP = options.nodeIP ?? '127.0.0.1';
  const logRotation: LogRotationPolicy = {
    maxSizeBytes: options.containerLogMaxSize ?? DEFAULT_LOG_ROTATION.maxSizeBytes,
    maxFiles: options.containerLogMaxFiles ?? DEFAULT_LOG_ROTATION.maxFiles,
  };
  const rotationProblem = validateLogRotation(logRotation);
  if (rotationProblem) throw new Error(rotationProblem);
  await mkdir(dataDir, { recursive: true });

  const containerd = await startContainerd({ dataDir, socket: options.containerdSocket, subnet: options.podSubnet, ipMasq: options.ipMasq, log });
  const runtime = new CriRuntime(containerd.client);
  const facts = await machineFacts();
  const version = await runtime.version();
  const cgroupBase = `/kujira-${createHash('sha256').update(`${nodeName}\0${dataDir}`).digest('hex').slice(0, 10)}`;
  const roots = await cgroupRoots();

  const pods = client.resource(PODS);
  const nodes = client.resource(NODES);
  const leases = client.resource(LEASES);
  const configMaps = client.resource(CONFIGMAPS);
  const secrets = client.resource(SECRETS);
  const events = new EventRecorder(client, { component: 'kubelet', host: nodeName }, { clock, onError: (err) => log(`event: ${(err as Error).message}`) });

  const workers = new Map<string, PodWorker>();
  const timers: TimerHandle[] = [];
  let stopping = false;

  const probes = new ProbeManager({
    runtime, clock,
    changed: (uid) => workers.get(uid)?.kick(),
    failed: (pod, container, kind, message) => {
      events.event({ ...pod, apiVersion: 'v1', kind: 'Pod' }, 'Warning', 'Unhealthy', ProbeManager.eventMessage(kind, message), containerFieldPath(pod, container.name));
    },
  });

  const decode = (data: Record<string, string> | undefined, base64: boolean) =>
    data ? Object.fromEntries(Object.entries(data).map(([k, v]) => [k, base64 ? Buffer.from(v, 'base64').toString('utf8') : v])) : undefined;
  const getOrUndefined = async <T>(p: Promise<T>): Promise<T | undefined> => {
    try { return await p; } catch (err) { if ((err as { code?: number }).code === 404) return undefined; throw err; }
  };
  const configMapData = async (ns: string, name: string) => {
    const cm = await getOrUndefined(configMaps.get(ns, name));
    return cm ? { ...(cm.data ?? {}), ...decode(cm.binaryData, true) } : undefined;
  };
  const secretData = async (ns: string, name: string) => {
    const s = await getOrUndefined(secrets.get(ns, name));
    return s ? { ...(s.stringData ?? {}), ...decode(s.data, true) } : undefined;
  };

  // Env sources: resolve every referenced ConfigMap/Secret up front so containerEnv can stay pure and synchronous.
  const envSourcesFor = async (ns: string): Promise<EnvSources> => {
    const data = new Map<string, Record<string, string> | undefined>();
    const refsOf = (pod: core.Pod) => {
      const cms = new Set<string>();
      const ss = new Set<string>();
      for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
        for (const e of c.env ?? []) {
          if (e.valueFrom?.configMapKeyRef?.name) cms.add(e.valueFrom.configMapKeyRef.name);
          if (e.valueFrom?.secretKeyRef?.name) ss.add(e.valueFrom.secretKeyRef.name);
        }
        for (const f of c.envFrom ?? []) {
          if (f.configMapRef?.name) cms.add(f.configMapRef.name);
          if (f.secretRef?.name) ss.add(f.secretRef.name);
        }
      }
      return { cms, ss };
    };
    const all = { cms: new Set<string>(), ss: new Set<string>() };
    for (const w of workers.values()) {
      if (w.pod.metadata?.namespace !== ns) continue;
      const r = refsOf(w.pod);
      r.cms.forEach((n) => all.cms.add(n));
      r.ss.forEach((n) => all.ss.add(n));
    }
    await Promise.all([
      ...[...all.cms].map(async (n) => data.set(`cm/${n}`, await configMapData(ns, n))),
      ...[...all.ss].map(async (n) => data.set(`s/${n}`, await secretData(ns, n))),
    ]);
    return { configMap: (name) => data.get(`cm/${name}`), secret: (name) => data.get(`s/${name}`) };
  };

  // QoS cgroup updates one at a time, each summing the pods with a worker at the time it runs.
  let qosUpdates: Promise<void> = Promise.resolve();
  const updateQOSCgroups = (): Promise<void> => {
    const next = qosUpdates.then(async () => {
      await applyQOSCgroupShares(roots, cgroupBase, qosCgroupShares([...workers.values()].map((w) => w.pod)));
    });
    qosUpdates = next.catch(() => {});
    return next;
  };

  const host: PodWorkerHost = {
    runtime, pods, events, probes, clock, nodeName, hostIP: nodeIP, dataDir, cgroupBase, cgroupRoots: roots, updateQOSCgroups,
    clusterDNS: options.clusterDNS ?? [],
    node: { cpuCores: facts.cpuCores, memoryBytes: facts.memoryBytes },
    backoff: { ...DEFAULT_BACKOFF, ...options.backoff },
    imageBackoff: { ...DEFAULT_BACKOFF, ...options.imageBackoff },
    volumeSources: { configMap: configMapData, secret: secretData },
    envSources: (ns) => envSourcesFor(ns),
    log,
  };
  // The kubelet endpoint first: its port goes into the Node's status.
  const informer = new Informer<core.Pod>(pods, { fieldSelector: `spec.nodeName=${nodeName}`, clock, name: `agent ${nodeName} pods`, onError: (err) => log(`pods watch: ${(err as Error).message}`) });
  const endpoint: RunningEndpoint = await startEndpoint(
    { runtime, nodeName, podUid: (ns, name) => informer.cache.getByName(ns, name)?.metadata?.uid ?? [...workers.values()].find((w) => w.pod.metadata?.namespace === ns && w.pod.metadata?.name === name)?.pod.metadata?.uid },
    { host: nodeIP, port: options.endpointPort, clientCA: options.clientCA, token: options.endpointToken, pkiDir: join(dataDir, 'pki'), log },
  );

  const identity: NodeIdentity = {
    nodeName, nodeIP, kubeletPort: endpoint.port, podCIDR: containerd.subnet || undefined,
    runtimeVersion: `${version.runtimeName}://${version.runtimeVersion}`, facts,
  };
  let node = await registerNode(nodes, identity, clock.now());
  const leaseDuration = 40;
  await renewLease(leases, nodeName, node, clock.now(), leaseDuration).catch((err: Error) => log(`lease: ${err.message}`));

  let lastRuntimeProblem: string | null = null;
  const postNodeStatus = async () => {
    const problems = await runtime.problems();
    const problem = problems.length ? problems.join('; ') : null;
    lastRuntimeProblem = problem;
    node = await updateNodeStatus(nodes, identity, clock.now(), problem);
  };
  const every = (ms: number, fn: () => Promise<void>) => {
    const tick = () => {
      if (stopping) return;
      void fn().catch((err: Error) => log(err.message)).finally(() => { if (!stopping) timers.push(clock.setTimer(tick, ms)); });
    };
    timers.push(clock.setTimer(tick, ms));
  };
  every(options.leaseRenewIntervalMs ?? 10_000, () => renewLease(leases, nodeName, node, clock.now(), leaseDuration));
  every(options.nodeStatusIntervalMs ?? 60_000, postNodeStatus);
  // The kubelet also re-sums the QoS cgroups once a minute, whatever happened.
  every(options.qosCgroupSyncIntervalMs ?? 60_000, updateQOSCgroups);

  const workerFor = (pod: core.Pod): PodWorker | undefined => {
    const uid = pod.metadata?.uid;
    if (!uid || stopping) return undefined;
    let w = workers.get(uid);
    if (!w) {
      w = new PodWorker(pod, host, (done) => {
        workers.delete(done);
        // The pod's cgroup is gone: the Burstable total drops (the kubelet re-sums after removing a pod's cgroup).
        void updateQOSCgroups().catch((err: Error) => log(`qos cgroups: ${err.message}`));
      });
      workers.set(uid, w);
    }
    return w;
  };

  informer.addEventHandler({
    onAdd: (pod) => workerFor(pod)?.update(pod),
    onUpdate: (_old, pod) => workerFor(pod)?.update(pod),
    onDelete: (obj) => {
      const pod = 'obj' in obj && !('metadata' in obj) ? (obj as { obj: core.Pod }).obj : (obj as core.Pod);
      const w = workers.get(pod.metadata?.uid ?? '');
      if (w) { w.goneFromApi = true; w.kick(); }
    },
  });
  informer.start();
  await informer.waitForSync();

  // Sandboxes of pods the API no longer has (deleted while the agent was down): tear them down.
  const known = new Set(informer.cache.list().map((p) => p.metadata?.uid));
  for (const sb of await runtime.listSandboxes()) {
    if (sb.labels[LABEL_NODE] !== nodeName || known.has(sb.uid) || workers.has(sb.uid)) continue;
    log(`removing pod sandbox ${sb.namespace}/${sb.name} (${sb.uid}): the pod no longer exists`);
    for (const c of await runtime.listContainers({ sandboxId: sb.id })) await runtime.stopContainer(c.id, 2);
    await runtime.stopSandbox(sb.id);
    await runtime.removeSandbox(sb.id);
    await tearDownPodDir(podDirOf(dataDir, sb.uid));
    for (const root of roots) for (const name of podCgroupCandidates(cgroupBase, sb.uid)) await removeCgroupTree(join(root, name));
  }
  await updateQOSCgroups().catch((err: Error) => log(`qos cgroups: ${err.message}`));

  // Exits are noticed by relisting the runtime (like the kubelet's PLEG): a changed container kicks its pod.
  let seen = new Map<string, string>();
  every(options.relistIntervalMs ?? 1000, async () => {
    let containers;
    try {
      containers = await runtime.listContainers();
    } catch (err) {
      if (!lastRuntimeProblem) await postNodeStatus().catch(() => {});
      throw err;
    }
    if (lastRuntimeProblem) await postNodeStatus().catch(() => {});
    const now = new Map(containers.map((c) => [c.id, `${c.state}`]));
    const changed = new Set<string>();
    for (const c of containers) if (seen.get(c.id) !== now.get(c.id)) changed.add(c.labels[LABEL_POD_UID] ?? '');
    for (const [id] of seen) if (!now.has(id)) changed.add('');
    seen = now;
    for (const uid of changed) if (uid) workers.get(uid)?.kick();
  });
  // Log rotation: running containers only (the runtime reopens their file), one after another.
  // A container's log path never changes: asked once, not every round for every container.
  const logPaths = new Map<string, string>();
  every(options.containerLogMonitorIntervalMs ?? 10_000, async () => {
    const running = (await runtime.listContainers()).filter((c) => c.state === 'running' && c.labels[LABEL_NODE] === nodeName);
    const ids = new Set(running.map((c) => c.id));
    for (const id of logPaths.keys()) if (!ids.has(id)) logPaths.delete(id);
    for (const c of running) {
      let logPath = logPaths.get(c.id);
      if (logPath === undefined) {
        const st = await runtime.containerStatus(c.id);
        if (!st) continue;
        logPath = st.logPath;
        logPaths.set(c.id, logPath);
      }
      if (!logPath) continue;
      await rotateContainerLog(runtime, c.id, logPath, logRotation, new Date(clock.now()))
        .catch((err: Error) => log(`log rotation of ${c.name} (${c.id.slice(0, 12)}): ${err.message}`));
    }
  });
  // A slow full resync as a safety net.
  every(10_000, async () => { for (const w of workers.values()) w.kick(); });

  log(`node ${nodeName} ready: kubelet endpoint https://${nodeIP}:${endpoint.port}, pods on ${containerd.bridge || 'the runtime\'s network'} ${containerd.subnet}`);

  return {
    nodeName, kubeletPort: endpoint.port, containerd, runtime,
    busy: () => { for (const w of workers.values()) if (w.syncing) return true; return false; },
    async stop(stopOptions = {}) {
      stopping = true;
      for (const t of timers) t.cancel();
      for (const w of workers.values()) w.halt();
      probes.stopAll();
      await informer.stop();
      await endpoint.close();
      await events.flush().catch(() => {});
      if (stopOptions.keepRuntime) {
        containerd.client.close();
        return;
      }
      await containerd.stop({ removePods: true });
      for (const w of workers.values()) await tearDownPodDir(podDirOf(dataDir, w.pod.metadata?.uid ?? '')).catch(() => {});
      await tearDownPodDir(join(dataDir, 'pods')).catch(() => {});
      for (const root of roots) await removeCgroupTree(join(root, cgroupBase));
    },
  };
}
