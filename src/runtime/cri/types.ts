// TypeScript shapes of the CRI v1 messages declared in cri-v1.proto, as proto.ts decodes them (the way
// @grpc/proto-loader did with { keepCase, longs: String, enums: String, defaults: true }, which kujira used first):
// int64 fields are decimal strings (nanosecond timestamps exceed 2^53), enums are their names,
// bytes are Buffers. Requests accept numbers for int64 fields too.

export type Int64 = string;
export type NamespaceMode = 'POD' | 'CONTAINER' | 'NODE' | 'TARGET';
export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export type PodSandboxState = 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
export type ContainerState = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';
export type MountPropagation = 'PROPAGATION_PRIVATE' | 'PROPAGATION_HOST_TO_CONTAINER' | 'PROPAGATION_BIDIRECTIONAL';

export interface VersionResponse {
  version: string;
  runtime_name: string;
  runtime_version: string;
  runtime_api_version: string;
}

export interface DNSConfig {
  servers?: string[];
  searches?: string[];
  options?: string[];
}

export interface PortMapping {
  protocol?: Protocol;
  container_port: number;
  host_port?: number;
  host_ip?: string;
}

export interface Mount {
  container_path: string;
  host_path: string;
  readonly?: boolean;
  propagation?: MountPropagation;
}

export interface NamespaceOption {
  network: NamespaceMode;
  pid: NamespaceMode;
  ipc: NamespaceMode;
}

export interface PodSandboxMetadata {
  name: string;
  uid: string;
  namespace: string;
  attempt: number;
}

export interface PodSandboxConfig {
  metadata: PodSandboxMetadata;
  hostname?: string;
  log_directory?: string;
  dns_config?: DNSConfig;
  port_mappings?: PortMapping[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  linux?: {
    cgroup_parent?: string;
    security_context?: { namespace_options?: NamespaceOption; privileged?: boolean };
    sysctls?: Record<string, string>;
  };
}

export interface PodSandboxStatus {
  id: string;
  metadata: PodSandboxMetadata;
  state: PodSandboxState;
  created_at: Int64;
  network: { ip: string; additional_ips: { ip: string }[] } | null;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface PodSandbox {
  id: string;
  metadata: PodSandboxMetadata;
  state: PodSandboxState;
  created_at: Int64;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface PodSandboxFilter {
  id?: string;
  state?: { state: PodSandboxState };
  label_selector?: Record<string, string>;
}

export interface LinuxContainerResources {
  cpu_period?: number | Int64;
  cpu_quota?: number | Int64;
  cpu_shares?: number | Int64;
  memory_limit_in_bytes?: number | Int64;
  oom_score_adj?: number | Int64;
}

export interface ContainerConfig {
  metadata: { name: string; attempt: number };
  image: { image: string };
  command?: string[];
  args?: string[];
  working_dir?: string;
  envs?: { key: string; value: string }[];
  mounts?: Mount[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  log_path?: string;
  stdin?: boolean;
  /** Close the container's stdin when the first attached client detaches. */
  stdin_once?: boolean;
  tty?: boolean;
  linux?: {
    resources?: LinuxContainerResources;
    security_context?: {
      namespace_options?: NamespaceOption;
      privileged?: boolean;
      run_as_user?: { value: number | Int64 };
      run_as_group?: { value: number | Int64 };
      readonly_rootfs?: boolean;
      capabilities?: { add_capabilities?: string[]; drop_capabilities?: string[] };
    };
  };
}

export interface Container {
  id: string;
  pod_sandbox_id: string;
  metadata: { name: string; attempt: number };
  image: { image: string } | null;
  image_ref: string;
  state: ContainerState;
  created_at: Int64;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface ContainerFilter {
  id?: string;
  state?: { state: ContainerState };
  pod_sandbox_id?: string;
  label_selector?: Record<string, string>;
}

export interface ContainerStatus {
  id: string;
  metadata: { name: string; attempt: number };
  state: ContainerState;
  created_at: Int64;
  started_at: Int64;
  finished_at: Int64;
  exit_code: number;
  image: { image: string } | null;
  image_ref: string;
  reason: string;
  message: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  mounts: Mount[];
  log_path: string;
}

export interface ExecSyncResponse {
  stdout: Buffer;
  stderr: Buffer;
  exit_code: number;
}

export interface Image {
  id: string;
  repo_tags: string[];
  repo_digests: string[];
  size: Int64;
}

export interface RuntimeCondition {
  type: string;
  status: boolean;
  reason: string;
  message: string;
}

export interface UInt64Value {
  value: Int64;
}

export interface ContainerStats {
  attributes: { id: string; metadata: { name: string; attempt: number }; labels: Record<string, string>; annotations: Record<string, string> } | null;
  cpu: { timestamp: Int64; usage_core_nano_seconds: UInt64Value | null; usage_nano_cores: UInt64Value | null } | null;
  memory: {
    timestamp: Int64;
    working_set_bytes: UInt64Value | null;
    available_bytes: UInt64Value | null;
    usage_bytes: UInt64Value | null;
    rss_bytes: UInt64Value | null;
    page_faults: UInt64Value | null;
    major_page_faults: UInt64Value | null;
  } | null;
  writable_layer: { used_bytes: UInt64Value | null; inodes_used: UInt64Value | null } | null;
}

export interface FilesystemUsage {
  timestamp: Int64;
  fs_id: { mountpoint: string } | null;
  used_bytes: UInt64Value | null;
  inodes_used: UInt64Value | null;
}
