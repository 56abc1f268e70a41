// The container runtime as the node agent sees it: sandboxes (one per pod) holding containers, images,
// exec and usage figures. The CRI implementation lives in cri/; the agent knows only this interface.

export type SandboxState = 'ready' | 'notready';
export type ContainerState = 'created' | 'running' | 'exited' | 'unknown';

export interface PortMappingSpec {
  protocol: 'TCP' | 'UDP' | 'SCTP';
  containerPort: number;
  hostPort: number;
  hostIP?: string;
}

export interface SandboxSpec {
  name: string;
  namespace: string;
  uid: string;
  attempt: number;
  hostname: string;
  /** Directory under which container log paths are resolved. */
  logDirectory: string;
  dns?: { servers: string[]; searches: string[]; options: string[] };
  portMappings: PortMappingSpec[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  cgroupParent?: string;
  /** Containers share one PID namespace (pod.spec.shareProcessNamespace). */
  shareProcessNamespace: boolean;
}

export interface SandboxInfo {
  id: string;
  name: string;
  namespace: string;
  uid: string;
  attempt: number;
  state: SandboxState;
  /** Milliseconds since the epoch. */
  createdAt: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface SandboxStatusInfo extends SandboxInfo {
  ips: string[];
}

export interface MountSpec {
  containerPath: string;
  hostPath: string;
  readOnly: boolean;
}

export interface ContainerSpec {
  name: string;
  attempt: number;
  image: string;
  command: string[];
  args: string[];
  workingDir?: string;
  env: { name: string; value: string }[];
  mounts: MountSpec[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Relative to the sandbox's logDirectory, e.g. "web/0.log". */
  logPath: string;
  resources: { cpuShares?: number; cpuQuota?: number; cpuPeriod?: number; memoryLimitBytes?: number; oomScoreAdj?: number };
  tty: boolean;
  stdin: boolean;
  stdinOnce: boolean;
  privileged: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  readOnlyRootFilesystem: boolean;
  capabilities?: { add: string[]; drop: string[] };
  shareProcessNamespace: boolean;
}

export interface ContainerInfo {
  id: string;
  sandboxId: string;
  name: string;
  attempt: number;
  state: ContainerState;
  createdAt: number;
  image: string;
  imageRef: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface ContainerStatusInfo extends ContainerInfo {
  /** Milliseconds since the epoch; 0 when not started/finished. */
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  reason: string;
  message: string;
  logPath: string;
}

export interface ExecResult {
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
}

/** An exec that could not run to an exit code: the command is missing, or it outlived its timeout. */
export class ExecError extends Error {
  constructor(message: string, readonly timedOut: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ExecError';
  }
}

/** The standard streams an interactive exec or attach carries (stderr is merged into stdout with a tty). */
export interface StdioSpec {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

export interface ImageInfo {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: number;
}

export interface ContainerUsage {
  containerId: string;
  name: string;
  sandboxId: string;
  labels: Record<string, string>;
  /** Milliseconds since the epoch of the sample. */
  timestamp: number;
  cpuUsageCoreNanoSeconds: number;
  /** Averaged by the runtime between two samples; 0 on the first. */
  cpuUsageNanoCores: number;
  memoryWorkingSetBytes: number;
  memoryUsageBytes: number;
  memoryRssBytes: number;
}

export interface RuntimeVersion {
  runtimeName: string;
  runtimeVersion: string;
  runtimeApiVersion: string;
}

/** A failure the runtime reported for a missing object (sandbox, container, image tag). */
export class RuntimeNotFoundError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RuntimeNotFoundError';
  }
}

export interface PodRuntime {
  version(): Promise<RuntimeVersion>;
  /** Empty when healthy; otherwise one line per condition that is not met. */
  problems(): Promise<string[]>;

  runSandbox(spec: SandboxSpec): Promise<string>;
  /** null when the sandbox is gone. */
  sandboxStatus(id: string): Promise<SandboxStatusInfo | null>;
  /** labels: only sandboxes carrying all of them (the runtime filters, so the others are never read). */
  listSandboxes(filter?: { labels?: Record<string, string> }): Promise<SandboxInfo[]>;
  stopSandbox(id: string): Promise<void>;
  removeSandbox(id: string): Promise<void>;

  createContainer(sandboxId: string, spec: ContainerSpec, sandbox: SandboxSpec): Promise<string>;
  startContainer(id: string): Promise<void>;
  /** SIGTERM (or the image's stop signal), SIGKILL after timeoutSeconds. */
  stopContainer(id: string, timeoutSeconds: number): Promise<void>;
  removeContainer(id: string): Promise<void>;
  listContainers(filter?: { sandboxId?: string; labels?: Record<string, string> }): Promise<ContainerInfo[]>;
  /** null when the container is gone. */
  containerStatus(id: string): Promise<ContainerStatusInfo | null>;
  execSync(id: string, command: string[], timeoutSeconds: number): Promise<ExecResult>;
  /**
   * Interactive streams: each returns a one-use URL on the runtime's own stream server that speaks the
   * Kubernetes streaming protocols (SPDY, websocket channels) for exec, attach and port-forward.
   */
  execStream(id: string, command: string[], stdio: StdioSpec): Promise<string>;
  attachStream(id: string, stdio: StdioSpec): Promise<string>;
  portForwardStream(sandboxId: string, ports: number[]): Promise<string>;
  /** Asks the runtime to reopen a container's log file (after it was rotated). */
  reopenLog(id: string): Promise<void>;
  usage(filter?: { sandboxId?: string }): Promise<ContainerUsage[]>;

  imageStatus(image: string): Promise<ImageInfo | null>;
  /** Pulls an image; RuntimeNotFoundError when the registry has no such image. Returns the image ref (id). */
  pullImage(image: string): Promise<string>;
  listImages(): Promise<ImageInfo[]>;
  removeImage(image: string): Promise<void>;
}
