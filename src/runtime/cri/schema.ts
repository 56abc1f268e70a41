// The CRI v1 messages kujira sends and reads, as tables for proto.ts. Field numbers and types are those of
// cri-v1.proto beside this file (k8s.io/cri-api's wire contract); schema.test.ts checks the two agree.
import { enumType, message, type MessageType } from './proto.js';

const Protocol = enumType('Protocol', ['TCP', 'UDP', 'SCTP']);
const MountPropagation = enumType('MountPropagation', ['PROPAGATION_PRIVATE', 'PROPAGATION_HOST_TO_CONTAINER', 'PROPAGATION_BIDIRECTIONAL']);
const NamespaceMode = enumType('NamespaceMode', ['POD', 'CONTAINER', 'NODE', 'TARGET']);
const PodSandboxState = enumType('PodSandboxState', ['SANDBOX_READY', 'SANDBOX_NOTREADY']);
const ContainerState = enumType('ContainerState', ['CONTAINER_CREATED', 'CONTAINER_RUNNING', 'CONTAINER_EXITED', 'CONTAINER_UNKNOWN']);

export const Empty = message('Empty', {});

const VersionRequest = message('VersionRequest', { version: [1, 'string'] });
const VersionResponse = message('VersionResponse', {
  version: [1, 'string'], runtime_name: [2, 'string'], runtime_version: [3, 'string'], runtime_api_version: [4, 'string'],
});

const DNSConfig = message('DNSConfig', { servers: [1, 'string', 'repeated'], searches: [2, 'string', 'repeated'], options: [3, 'string', 'repeated'] });
const PortMapping = message('PortMapping', { protocol: [1, Protocol], container_port: [2, 'int32'], host_port: [3, 'int32'], host_ip: [4, 'string'] });
const Mount = message('Mount', {
  container_path: [1, 'string'], host_path: [2, 'string'], readonly: [3, 'bool'], selinux_relabel: [4, 'bool'], propagation: [5, MountPropagation],
});
const NamespaceOption = message('NamespaceOption', { network: [1, NamespaceMode], pid: [2, NamespaceMode], ipc: [3, NamespaceMode], target_id: [4, 'string'] });
const Int64Value = message('Int64Value', { value: [1, 'int64'] });
const UInt64Value = message('UInt64Value', { value: [1, 'uint64'] });

const LinuxSandboxSecurityContext = message('LinuxSandboxSecurityContext', {
  namespace_options: [1, NamespaceOption], run_as_user: [3, Int64Value], readonly_rootfs: [4, 'bool'],
  supplemental_groups: [5, 'int64', 'repeated'], privileged: [6, 'bool'], run_as_group: [8, Int64Value],
});
const LinuxPodSandboxConfig = message('LinuxPodSandboxConfig', {
  cgroup_parent: [1, 'string'], security_context: [2, LinuxSandboxSecurityContext], sysctls: [3, 'string', 'map'],
});
const PodSandboxMetadata = message('PodSandboxMetadata', { name: [1, 'string'], uid: [2, 'string'], namespace: [3, 'string'], attempt: [4, 'uint32'] });
const PodSandboxConfig = message('PodSandboxConfig', {
  metadata: [1, PodSandboxMetadata], hostname: [2, 'string'], log_directory: [3, 'string'], dns_config: [4, DNSConfig],
  port_mappings: [5, PortMapping, 'repeated'], labels: [6, 'string', 'map'], annotations: [7, 'string', 'map'], linux: [8, LinuxPodSandboxConfig],
});

const RunPodSandboxRequest = message('RunPodSandboxRequest', { config: [1, PodSandboxConfig], runtime_handler: [2, 'string'] });
const RunPodSandboxResponse = message('RunPodSandboxResponse', { pod_sandbox_id: [1, 'string'] });
const PodSandboxIdRequest = message('PodSandboxIdRequest', { pod_sandbox_id: [1, 'string'] });
const PodSandboxStatusRequest = message('PodSandboxStatusRequest', { pod_sandbox_id: [1, 'string'], verbose: [2, 'bool'] });

const PodIP = message('PodIP', { ip: [1, 'string'] });
const PodSandboxNetworkStatus = message('PodSandboxNetworkStatus', { ip: [1, 'string'], additional_ips: [2, PodIP, 'repeated'] });
const PodSandboxStatus = message('PodSandboxStatus', {
  id: [1, 'string'], metadata: [2, PodSandboxMetadata], state: [3, PodSandboxState], created_at: [4, 'int64'],
  network: [5, PodSandboxNetworkStatus], labels: [7, 'string', 'map'], annotations: [8, 'string', 'map'], runtime_handler: [9, 'string'],
});
const PodSandboxStatusResponse = message('PodSandboxStatusResponse', { status: [1, PodSandboxStatus], info: [2, 'string', 'map'] });

const PodSandboxStateValue = message('PodSandboxStateValue', { state: [1, PodSandboxState] });
const PodSandboxFilter = message('PodSandboxFilter', { id: [1, 'string'], state: [2, PodSandboxStateValue], label_selector: [3, 'string', 'map'] });
const ListPodSandboxRequest = message('ListPodSandboxRequest', { filter: [1, PodSandboxFilter] });
const PodSandbox = message('PodSandbox', {
  id: [1, 'string'], metadata: [2, PodSandboxMetadata], state: [3, PodSandboxState], created_at: [4, 'int64'],
  labels: [5, 'string', 'map'], annotations: [6, 'string', 'map'], runtime_handler: [7, 'string'],
});
const ListPodSandboxResponse = message('ListPodSandboxResponse', { items: [1, PodSandbox, 'repeated'] });

const ImageSpec = message('ImageSpec', { image: [1, 'string'], annotations: [2, 'string', 'map'] });
const KeyValue = message('KeyValue', { key: [1, 'string'], value: [2, 'string'] });
const LinuxContainerResources = message('LinuxContainerResources', {
  cpu_period: [1, 'int64'], cpu_quota: [2, 'int64'], cpu_shares: [3, 'int64'], memory_limit_in_bytes: [4, 'int64'],
  oom_score_adj: [5, 'int64'], cpuset_cpus: [6, 'string'], cpuset_mems: [7, 'string'],
});
const Capability = message('Capability', { add_capabilities: [1, 'string', 'repeated'], drop_capabilities: [2, 'string', 'repeated'] });
const LinuxContainerSecurityContext = message('LinuxContainerSecurityContext', {
  capabilities: [1, Capability], privileged: [2, 'bool'], namespace_options: [3, NamespaceOption], run_as_user: [5, Int64Value],
  run_as_username: [6, 'string'], readonly_rootfs: [7, 'bool'], supplemental_groups: [8, 'int64', 'repeated'],
  no_new_privs: [11, 'bool'], run_as_group: [12, Int64Value],
});
const LinuxContainerConfig = message('LinuxContainerConfig', { resources: [1, LinuxContainerResources], security_context: [2, LinuxContainerSecurityContext] });
const ContainerMetadata = message('ContainerMetadata', { name: [1, 'string'], attempt: [2, 'uint32'] });
const ContainerConfig = message('ContainerConfig', {
  metadata: [1, ContainerMetadata], image: [2, ImageSpec], command: [3, 'string', 'repeated'], args: [4, 'string', 'repeated'],
  working_dir: [5, 'string'], envs: [6, KeyValue, 'repeated'], mounts: [7, Mount, 'repeated'], labels: [9, 'string', 'map'],
  annotations: [10, 'string', 'map'], log_path: [11, 'string'], stdin: [12, 'bool'], stdin_once: [13, 'bool'], tty: [14, 'bool'],
  linux: [15, LinuxContainerConfig],
});
const CreateContainerRequest = message('CreateContainerRequest', {
  pod_sandbox_id: [1, 'string'], config: [2, ContainerConfig], sandbox_config: [3, PodSandboxConfig],
});
const CreateContainerResponse = message('CreateContainerResponse', { container_id: [1, 'string'] });
const ContainerIdRequest = message('ContainerIdRequest', { container_id: [1, 'string'] });
const StopContainerRequest = message('StopContainerRequest', { container_id: [1, 'string'], timeout: [2, 'int64'] });

const ContainerStateValue = message('ContainerStateValue', { state: [1, ContainerState] });
const ContainerFilter = message('ContainerFilter', {
  id: [1, 'string'], state: [2, ContainerStateValue], pod_sandbox_id: [3, 'string'], label_selector: [4, 'string', 'map'],
});
const ListContainersRequest = message('ListContainersRequest', { filter: [1, ContainerFilter] });
const Container = message('Container', {
  id: [1, 'string'], pod_sandbox_id: [2, 'string'], metadata: [3, ContainerMetadata], image: [4, ImageSpec], image_ref: [5, 'string'],
  state: [6, ContainerState], created_at: [7, 'int64'], labels: [8, 'string', 'map'], annotations: [9, 'string', 'map'],
});
const ListContainersResponse = message('ListContainersResponse', { containers: [1, Container, 'repeated'] });

const ContainerStatusRequest = message('ContainerStatusRequest', { container_id: [1, 'string'], verbose: [2, 'bool'] });
const ContainerStatus = message('ContainerStatus', {
  id: [1, 'string'], metadata: [2, ContainerMetadata], state: [3, ContainerState], created_at: [4, 'int64'], started_at: [5, 'int64'],
  finished_at: [6, 'int64'], exit_code: [7, 'int32'], image: [8, ImageSpec], image_ref: [9, 'string'], reason: [10, 'string'],
  message: [11, 'string'], labels: [12, 'string', 'map'], annotations: [13, 'string', 'map'], mounts: [14, Mount, 'repeated'],
  log_path: [15, 'string'],
});
const ContainerStatusResponse = message('ContainerStatusResponse', { status: [1, ContainerStatus], info: [2, 'string', 'map'] });

const ExecSyncRequest = message('ExecSyncRequest', { container_id: [1, 'string'], cmd: [2, 'string', 'repeated'], timeout: [3, 'int64'] });
const ExecSyncResponse = message('ExecSyncResponse', { stdout: [1, 'bytes'], stderr: [2, 'bytes'], exit_code: [3, 'int32'] });
const ExecRequest = message('ExecRequest', {
  container_id: [1, 'string'], cmd: [2, 'string', 'repeated'], tty: [3, 'bool'], stdin: [4, 'bool'], stdout: [5, 'bool'], stderr: [6, 'bool'],
});
const AttachRequest = message('AttachRequest', {
  container_id: [1, 'string'], stdin: [2, 'bool'], tty: [3, 'bool'], stdout: [4, 'bool'], stderr: [5, 'bool'],
});
const PortForwardRequest = message('PortForwardRequest', { pod_sandbox_id: [1, 'string'], port: [2, 'int32', 'repeated'] });
/** ExecResponse, AttachResponse and PortForwardResponse are all { string url = 1; }. */
const UrlResponse = message('UrlResponse', { url: [1, 'string'] });

const ImageFilter = message('ImageFilter', { image: [1, ImageSpec] });
const ListImagesRequest = message('ListImagesRequest', { filter: [1, ImageFilter] });
const Image = message('Image', {
  id: [1, 'string'], repo_tags: [2, 'string', 'repeated'], repo_digests: [3, 'string', 'repeated'], size: [4, 'uint64'],
  uid: [5, Int64Value], username: [6, 'string'], spec: [7, ImageSpec], pinned: [8, 'bool'],
});
const ListImagesResponse = message('ListImagesResponse', { images: [1, Image, 'repeated'] });
const ImageStatusRequest = message('ImageStatusRequest', { image: [1, ImageSpec], verbose: [2, 'bool'] });
const ImageStatusResponse = message('ImageStatusResponse', { image: [1, Image], info: [2, 'string', 'map'] });
const AuthConfig = message('AuthConfig', {
  username: [1, 'string'], password: [2, 'string'], auth: [3, 'string'], server_address: [4, 'string'],
  identity_token: [5, 'string'], registry_token: [6, 'string'],
});
const PullImageRequest = message('PullImageRequest', { image: [1, ImageSpec], auth: [2, AuthConfig], sandbox_config: [3, PodSandboxConfig] });
const PullImageResponse = message('PullImageResponse', { image_ref: [1, 'string'] });
const RemoveImageRequest = message('RemoveImageRequest', { image: [1, ImageSpec] });

const RuntimeCondition = message('RuntimeCondition', { type: [1, 'string'], status: [2, 'bool'], reason: [3, 'string'], message: [4, 'string'] });
const RuntimeStatus = message('RuntimeStatus', { conditions: [1, RuntimeCondition, 'repeated'] });
const StatusRequest = message('StatusRequest', { verbose: [1, 'bool'] });
const StatusResponse = message('StatusResponse', { status: [1, RuntimeStatus], info: [2, 'string', 'map'] });

const FilesystemIdentifier = message('FilesystemIdentifier', { mountpoint: [1, 'string'] });
const FilesystemUsage = message('FilesystemUsage', {
  timestamp: [1, 'int64'], fs_id: [2, FilesystemIdentifier], used_bytes: [3, UInt64Value], inodes_used: [4, UInt64Value],
});
const ImageFsInfoResponse = message('ImageFsInfoResponse', {
  image_filesystems: [1, FilesystemUsage, 'repeated'], container_filesystems: [2, FilesystemUsage, 'repeated'],
});

const ContainerAttributes = message('ContainerAttributes', {
  id: [1, 'string'], metadata: [2, ContainerMetadata], labels: [3, 'string', 'map'], annotations: [4, 'string', 'map'],
});
const CpuUsage = message('CpuUsage', { timestamp: [1, 'int64'], usage_core_nano_seconds: [2, UInt64Value], usage_nano_cores: [3, UInt64Value] });
const MemoryUsage = message('MemoryUsage', {
  timestamp: [1, 'int64'], working_set_bytes: [2, UInt64Value], available_bytes: [3, UInt64Value], usage_bytes: [4, UInt64Value],
  rss_bytes: [5, UInt64Value], page_faults: [6, UInt64Value], major_page_faults: [7, UInt64Value],
});
const ContainerStats = message('ContainerStats', {
  attributes: [1, ContainerAttributes], cpu: [2, CpuUsage], memory: [3, MemoryUsage], writable_layer: [4, FilesystemUsage],
});
const ContainerStatsResponse = message('ContainerStatsResponse', { stats: [1, ContainerStats] });
const ContainerStatsFilter = message('ContainerStatsFilter', { id: [1, 'string'], pod_sandbox_id: [2, 'string'], label_selector: [3, 'string', 'map'] });
const ListContainerStatsRequest = message('ListContainerStatsRequest', { filter: [1, ContainerStatsFilter] });
const ListContainerStatsResponse = message('ListContainerStatsResponse', { stats: [1, ContainerStats, 'repeated'] });

export interface RpcMethod {
  /** The gRPC path, /runtime.v1.<Service>/<Method>. */
  readonly path: string;
  readonly request: MessageType;
  readonly response: MessageType;
}

function rpc(service: 'RuntimeService' | 'ImageService', name: string, request: MessageType, response: MessageType): RpcMethod {
  return { path: `/runtime.v1.${service}/${name}`, request, response };
}

/** Every RPC the client makes, by method name. */
export const METHODS = {
  Version: rpc('RuntimeService', 'Version', VersionRequest, VersionResponse),
  RunPodSandbox: rpc('RuntimeService', 'RunPodSandbox', RunPodSandboxRequest, RunPodSandboxResponse),
  StopPodSandbox: rpc('RuntimeService', 'StopPodSandbox', PodSandboxIdRequest, Empty),
  RemovePodSandbox: rpc('RuntimeService', 'RemovePodSandbox', PodSandboxIdRequest, Empty),
  PodSandboxStatus: rpc('RuntimeService', 'PodSandboxStatus', PodSandboxStatusRequest, PodSandboxStatusResponse),
  ListPodSandbox: rpc('RuntimeService', 'ListPodSandbox', ListPodSandboxRequest, ListPodSandboxResponse),
  CreateContainer: rpc('RuntimeService', 'CreateContainer', CreateContainerRequest, CreateContainerResponse),
  StartContainer: rpc('RuntimeService', 'StartContainer', ContainerIdRequest, Empty),
  StopContainer: rpc('RuntimeService', 'StopContainer', StopContainerRequest, Empty),
  RemoveContainer: rpc('RuntimeService', 'RemoveContainer', ContainerIdRequest, Empty),
  ListContainers: rpc('RuntimeService', 'ListContainers', ListContainersRequest, ListContainersResponse),
  ContainerStatus: rpc('RuntimeService', 'ContainerStatus', ContainerStatusRequest, ContainerStatusResponse),
  ReopenContainerLog: rpc('RuntimeService', 'ReopenContainerLog', ContainerIdRequest, Empty),
  ExecSync: rpc('RuntimeService', 'ExecSync', ExecSyncRequest, ExecSyncResponse),
  Exec: rpc('RuntimeService', 'Exec', ExecRequest, UrlResponse),
  Attach: rpc('RuntimeService', 'Attach', AttachRequest, UrlResponse),
  PortForward: rpc('RuntimeService', 'PortForward', PortForwardRequest, UrlResponse),
  ContainerStats: rpc('RuntimeService', 'ContainerStats', ContainerIdRequest, ContainerStatsResponse),
  ListContainerStats: rpc('RuntimeService', 'ListContainerStats', ListContainerStatsRequest, ListContainerStatsResponse),
  Status: rpc('RuntimeService', 'Status', StatusRequest, StatusResponse),
  ListImages: rpc('ImageService', 'ListImages', ListImagesRequest, ListImagesResponse),
  ImageStatus: rpc('ImageService', 'ImageStatus', ImageStatusRequest, ImageStatusResponse),
  PullImage: rpc('ImageService', 'PullImage', PullImageRequest, PullImageResponse),
  RemoveImage: rpc('ImageService', 'RemoveImage', RemoveImageRequest, Empty),
  ImageFsInfo: rpc('ImageService', 'ImageFsInfo', Empty, ImageFsInfoResponse),
} as const;

export type MethodName = keyof typeof METHODS;

/** Message types by their .proto name, for schema.test.ts. */
export const MESSAGES: readonly MessageType[] = [
  Empty, VersionRequest, VersionResponse, DNSConfig, PortMapping, Mount, NamespaceOption, Int64Value, UInt64Value,
  LinuxSandboxSecurityContext, LinuxPodSandboxConfig, PodSandboxMetadata, PodSandboxConfig, RunPodSandboxRequest,
  RunPodSandboxResponse, PodSandboxIdRequest, PodSandboxStatusRequest, PodIP, PodSandboxNetworkStatus, PodSandboxStatus,
  PodSandboxStatusResponse, PodSandboxStateValue, PodSandboxFilter, ListPodSandboxRequest, PodSandbox, ListPodSandboxResponse,
  ImageSpec, KeyValue, LinuxContainerResources, Capability, LinuxContainerSecurityContext, LinuxContainerConfig,
  ContainerMetadata, ContainerConfig, CreateContainerRequest, CreateContainerResponse, ContainerIdRequest, StopContainerRequest,
  ContainerStateValue, ContainerFilter, ListContainersRequest, Container, ListContainersResponse, ContainerStatusRequest,
  ContainerStatus, ContainerStatusResponse, ExecSyncRequest, ExecSyncResponse, ExecRequest, AttachRequest, PortForwardRequest,
  ImageFilter, ListImagesRequest, Image, ListImagesResponse, ImageStatusRequest, ImageStatusResponse, AuthConfig,
  PullImageRequest, PullImageResponse, RemoveImageRequest, RuntimeCondition, RuntimeStatus, StatusRequest, StatusResponse,
  FilesystemIdentifier, FilesystemUsage, ImageFsInfoResponse, ContainerAttributes, CpuUsage, MemoryUsage, ContainerStats,
  ContainerStatsResponse, ContainerStatsFilter, ListContainerStatsRequest, ListContainerStatsResponse,
];
