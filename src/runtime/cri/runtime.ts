// PodRuntime over CRI v1: translates the agent's runtime vocabulary to CRI messages and back.
import {
  ExecError, RuntimeNotFoundError,
  type ContainerInfo, type ContainerSpec, type ContainerStatusInfo, type ContainerUsage, type ImageInfo, type PodRuntime,
  type SandboxInfo, type SandboxSpec, type SandboxStatusInfo, type StdioSpec, type ContainerState as AgentContainerState,
} from '../runtime.js';
import { CriClient, CriError, GrpcCode } from './client.js';
import type { Container, ContainerConfig, ContainerStats, ContainerState, Image, NamespaceOption, PodSandbox, PodSandboxConfig } from './types.js';

const nsToMs = (ns: string | undefined): number => (ns && ns !== '0' ? Math.floor(Number(BigInt(ns) / 1_000_000n)) : 0);
const num = (v: { value: string } | null | undefined): number => (v ? Number(v.value) : 0);

const CONTAINER_STATES: Record<ContainerState, AgentContainerState> = {
  CONTAINER_CREATED: 'created', CONTAINER_RUNNING: 'running', CONTAINER_EXITED: 'exited', CONTAINER_UNKNOWN: 'unknown',
};

function namespaces(shareProcessNamespace: boolean): NamespaceOption {
  // Always explicit: an unset pid mode is POD (0) in proto3, which would share the sandbox's PID namespace.
  return { network: 'POD', pid: shareProcessNamespace ? 'POD' : 'CONTAINER', ipc: 'POD' };
}

export function sandboxConfig(spec: SandboxSpec): PodSandboxConfig {
  return {
    metadata: { name: spec.name, namespace: spec.namespace, uid: spec.uid, attempt: spec.attempt },
    hostname: spec.hostname,
    log_directory: spec.logDirectory,
    dns_config: spec.dns,
    port_mappings: spec.portMappings.map((p) => ({ protocol: p.protocol, container_port: p.containerPort, host_port: p.hostPort, host_ip: p.hostIP ?? '' })),
    labels: spec.labels,
    annotations: spec.annotations,
    linux: {
      cgroup_parent: spec.cgroupParent ?? '',
      security_context: { namespace_options: namespaces(spec.shareProcessNamespace) },
    },
  };
}

export function containerConfig(spec: ContainerSpec): ContainerConfig {
  const r = spec.resources;
  return {
    metadata: { name: spec.name, attempt: spec.attempt },
    image: { image: spec.image },
    command: spec.command,
    args: spec.args,
    working_dir: spec.workingDir ?? '',
    envs: spec.env.map((e) => ({ key: e.name, value: e.value })),
    mounts: spec.mounts.map((m) => ({ container_path: m.containerPath, host_path: m.hostPath, readonly: m.readOnly })),
    labels: spec.labels,
    annotations: spec.annotations,
    log_path: spec.logPath,
    stdin: spec.stdin,
    stdin_once: spec.stdinOnce,
    tty: spec.tty,
    linux: {
      resources: {
        cpu_shares: r.cpuShares ?? 0, cpu_quota: r.cpuQuota ?? 0, cpu_period: r.cpuPeriod ?? 0,
        memory_limit_in_bytes: r.memoryLimitBytes ?? 0, oom_score_adj: r.oomScoreAdj ?? 0,
      },
      security_context: {
        namespace_options: namespaces(spec.shareProcessNamespace),
        privileged: spec.privileged,
        readonly_rootfs: spec.readOnlyRootFilesystem,
        ...(spec.runAsUser !== undefined ? { run_as_user: { value: spec.runAsUser } } : {}),
        ...(spec.runAsGroup !== undefined ? { run_as_group: { value: spec.runAsGroup } } : {}),
        ...(spec.capabilities ? { capabilities: { add_capabilities: spec.capabilities.add, drop_capabilities: spec.capabilities.drop } } : {}),
      },
    },
  };
}

function sandboxInfo(sb: PodSandbox): SandboxInfo {
  return {
    id: sb.id, name: sb.metadata?.name ?? '', namespace: sb.metadata?.namespace ?? '', uid: sb.metadata?.uid ?? '',
    attempt: sb.metadata?.attempt ?? 0, state: sb.state === 'SANDBOX_READY' ? 'ready' : 'notready',
    createdAt: nsToMs(sb.created_at), labels: sb.labels ?? {}, annotations: sb.annotations ?? {},
  };
}

function containerInfo(c: Container): ContainerInfo {
  return {
    id: c.id, sandboxId: c.pod_sandbox_id, name: c.metadata?.name ?? '', attempt: c.metadata?.attempt ?? 0,
    state: CONTAINER_STATES[c.state] ?? 'unknown', createdAt: nsToMs(c.created_at), image: c.image?.image ?? '', imageRef: c.image_ref,
    labels: c.labels ?? {}, annotations: c.annotations ?? {},
  };
}

function imageInfo(i: Image): ImageInfo {
  return { id: i.id, repoTags: i.repo_tags ?? [], repoDigests: i.repo_digests ?? [], size: Number(i.size ?? 0) };
}

function usageOf(s: ContainerStats): ContainerUsage {
  return {
    containerId: s.attributes?.id ?? '', name: s.attributes?.metadata?.name ?? '',
    sandboxId: s.attributes?.labels?.['io.kubernetes.pod.uid'] ?? '',
    labels: s.attributes?.labels ?? {},
    timestamp: nsToMs(s.cpu?.timestamp ?? s.memory?.timestamp),
    cpuUsageCoreNanoSeconds: num(s.cpu?.usage_core_nano_seconds), cpuUsageNanoCores: num(s.cpu?.usage_nano_cores),
    memoryWorkingSetBytes: num(s.memory?.working_set_bytes), memoryUsageBytes: num(s.memory?.usage_bytes), memoryRssBytes: num(s.memory?.rss_bytes),
  };
}

async function orNull<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof CriError && err.code === GrpcCode.NOT_FOUND) return null;
    throw err;
  }
}

export class CriRuntime implements PodRuntime {
  constructor(readonly client: CriClient) {}

  async version() {
    const v = await this.client.version();
    return { runtimeName: v.runtime_name, runtimeVersion: v.runtime_version, runtimeApiVersion: v.runtime_api_version };
  }

  async problems(): Promise<string[]> {
    try {
      const conditions = await this.client.status();
      return conditions.filter((c) => !c.status).map((c) => `${c.type}: ${c.reason} ${c.message}`.trim());
    } catch (err) {
      return [`runtime unreachable: ${(err as Error).message}`];
    }
  }

  runSandbox(spec: SandboxSpec) { return this.client.runPodSandbox(sandboxConfig(spec)); }

  async sandboxStatus(id: string): Promise<SandboxStatusInfo | null> {
    const st = await orNull(this.client.podSandboxStatus(id));
    if (!st) return null;
    const ips = st.network ? [st.network.ip, ...(st.network.additional_ips ?? []).map((a) => a.ip)].filter(Boolean) : [];
    return { ...sandboxInfo({ ...st }), ips };
  }

  async listSandboxes(filter: { labels?: Record<string, string> } = {}) {
    return (await this.client.listPodSandbox(filter.labels ? { label_selector: filter.labels } : {})).map(sandboxInfo);
  }
  async stopSandbox(id: string) { await orNull(this.client.stopPodSandbox(id)); }
  async removeSandbox(id: string) { await orNull(this.client.removePodSandbox(id)); }

  createContainer(sandboxId: string, spec: ContainerSpec, sandbox: SandboxSpec) {
    return this.client.createContainer(sandboxId, containerConfig(spec), sandboxConfig(sandbox));
  }
  startContainer(id: string) { return this.client.startContainer(id); }
  async stopContainer(id: string, timeoutSeconds: number) { await orNull(this.client.stopContainer(id, timeoutSeconds)); }
  async removeContainer(id: string) { await orNull(this.client.removeContainer(id)); }

  async listContainers(filter: { sandboxId?: string; labels?: Record<string, string> } = {}) {
    const criFilter = { ...(filter.sandboxId ? { pod_sandbox_id: filter.sandboxId } : {}), ...(filter.labels ? { label_selector: filter.labels } : {}) };
    return (await this.client.listContainers(criFilter)).map(containerInfo);
  }

  async containerStatus(id: string): Promise<ContainerStatusInfo | null> {
    const st = await orNull(this.client.containerStatus(id));
    if (!st) return null;
    return {
      id: st.id, sandboxId: '', name: st.metadata?.name ?? '', attempt: st.metadata?.attempt ?? 0,
      state: CONTAINER_STATES[st.state] ?? 'unknown', createdAt: nsToMs(st.created_at),
      image: st.image?.image ?? '', imageRef: st.image_ref, labels: st.labels ?? {}, annotations: st.annotations ?? {},
      startedAt: nsToMs(st.started_at), finishedAt: nsToMs(st.finished_at), exitCode: st.exit_code,
      reason: st.reason, message: st.message, logPath: st.log_path,
    };
  }

  async execSync(id: string, command: string[], timeoutSeconds: number) {
    try {
      const res = await this.client.execSync(id, command, timeoutSeconds);
      return { exitCode: res.exit_code, stdout: Buffer.from(res.stdout ?? []), stderr: Buffer.from(res.stderr ?? []) };
    } catch (err) {
      if (err instanceof CriError && err.code === GrpcCode.DEADLINE_EXCEEDED) {
        throw new ExecError(`command timed out after ${timeoutSeconds}s`, true, { cause: err });
      }
      if (err instanceof CriError && err.code !== GrpcCode.UNAVAILABLE) throw new ExecError(err.details, false, { cause: err });
      throw err;
    }
  }

  execStream(id: string, command: string[], stdio: StdioSpec) { return this.client.exec(id, command, stdio); }
  attachStream(id: string, stdio: StdioSpec) { return this.client.attach(id, stdio); }
  portForwardStream(sandboxId: string, ports: number[]) { return this.client.portForward(sandboxId, ports); }

  async reopenLog(id: string) { await this.client.reopenContainerLog(id); }

  async usage(filter: { sandboxId?: string } = {}) {
    return (await this.client.listContainerStats(filter.sandboxId ? { pod_sandbox_id: filter.sandboxId } : {})).map(usageOf);
  }

  async imageStatus(image: string) {
    const i = await this.client.imageStatus(image);
    return i ? imageInfo(i) : null;
  }

  async pullImage(image: string) {
    try {
      return await this.client.pullImage(image);
    } catch (err) {
      if (err instanceof CriError && err.code === GrpcCode.NOT_FOUND) throw new RuntimeNotFoundError(err.details, { cause: err });
      throw err;
    }
  }

  async listImages() { return (await this.client.listImages()).map(imageInfo); }
  async removeImage(image: string) { await orNull(this.client.removeImage(image)); }
}
