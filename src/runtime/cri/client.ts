// A typed CRI v1 client over a unix socket: RuntimeService and ImageService with a deadline on every call,
// spoken with kujira's own gRPC-over-HTTP/2 (grpc.ts) and protobuf codec (proto.ts, schema.ts).
import { GrpcStatusError, GrpcUnixChannel } from './grpc.js';
import { decode, encode, type ProtoObject } from './proto.js';
import { METHODS, type MethodName } from './schema.js';
import type {
  Container, ContainerConfig, ContainerFilter, ContainerStats, ContainerStatus, ExecSyncResponse, FilesystemUsage, Image,
  PodSandbox, PodSandboxConfig, PodSandboxFilter, PodSandboxStatus, RuntimeCondition, VersionResponse,
} from './types.js';

/** gRPC status codes the agent reacts to. */
export const GrpcCode = { DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, UNKNOWN: 2, UNAVAILABLE: 14, INTERNAL: 13 } as const;

/** A failed CRI call: the gRPC code and the runtime's own message. */
export class CriError extends Error {
  constructor(readonly method: string, readonly code: number, readonly details: string, options?: { cause?: unknown }) {
    super(`CRI ${method}: ${details}`, options);
    this.name = 'CriError';
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof CriError && err.code === GrpcCode.NOT_FOUND;
}

export interface CriClientOptions {
  /** Deadline for ordinary calls (ms). */
  callTimeoutMs?: number;
}

/** Which standard streams a streaming exec or attach carries. */
export interface StdioRequest {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** One channel to one runtime socket; close() releases it. */
export class CriClient {
  private readonly channel: GrpcUnixChannel;
  private readonly callTimeoutMs: number;

  constructor(readonly socket: string, options: CriClientOptions = {}) {
    this.callTimeoutMs = options.callTimeoutMs ?? 15_000;
    this.channel = new GrpcUnixChannel(socket);
  }

  close(): void {
    this.channel.close();
  }

  private async call<T>(method: MethodName, req: ProtoObject, timeoutMs = this.callTimeoutMs): Promise<T> {
    const rpc = METHODS[method];
    try {
      const res = await this.channel.unary(rpc.path, encode(rpc.request, req), timeoutMs);
      // The response's shape is the schema's; types.ts declares the same fields.
      return decode(rpc.response, res) as T;
    } catch (err) {
      if (err instanceof GrpcStatusError) throw new CriError(method, err.code, err.details, { cause: err });
      throw new CriError(method, GrpcCode.INTERNAL, (err as Error).message, { cause: err });
    }
  }

  // ---- RuntimeService ----

  version(): Promise<VersionResponse> {
    return this.call('Version', { version: 'v1' });
  }

  async status(): Promise<RuntimeCondition[]> {
    const res = await this.call<{ status: { conditions: RuntimeCondition[] } | null }>('Status', {});
    return res.status?.conditions ?? [];
  }

  async runPodSandbox(config: PodSandboxConfig, timeoutMs = 60_000): Promise<string> {
    const res = await this.call<{ pod_sandbox_id: string }>('RunPodSandbox', { config }, timeoutMs);
    return res.pod_sandbox_id;
  }

  async stopPodSandbox(id: string): Promise<void> {
    await this.call('StopPodSandbox', { pod_sandbox_id: id }, 60_000);
  }

  async removePodSandbox(id: string): Promise<void> {
    await this.call('RemovePodSandbox', { pod_sandbox_id: id }, 60_000);
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    const res = await this.call<{ status: PodSandboxStatus }>('PodSandboxStatus', { pod_sandbox_id: id });
    return res.status;
  }

  async listPodSandbox(filter: PodSandboxFilter = {}): Promise<PodSandbox[]> {
    const res = await this.call<{ items: PodSandbox[] }>('ListPodSandbox', { filter });
    return res.items;
  }

  async createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string> {
    const res = await this.call<{ container_id: string }>('CreateContainer',
      { pod_sandbox_id: podSandboxId, config, sandbox_config: sandboxConfig }, 60_000);
    return res.container_id;
  }

  async startContainer(id: string): Promise<void> {
    await this.call('StartContainer', { container_id: id }, 60_000);
  }

  /** TERM, then KILL after timeoutSeconds: the call itself lasts up to that long, so its deadline is longer. */
  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    await this.call('StopContainer', { container_id: id, timeout: timeoutSeconds }, timeoutSeconds * 1000 + 30_000);
  }

  async removeContainer(id: string): Promise<void> {
    await this.call('RemoveContainer', { container_id: id }, 60_000);
  }

  async listContainers(filter: ContainerFilter = {}): Promise<Container[]> {
    const res = await this.call<{ containers: Container[] }>('ListContainers', { filter });
    return res.containers;
  }

  async containerStatus(id: string): Promise<ContainerStatus> {
    const res = await this.call<{ status: ContainerStatus }>('ContainerStatus', { container_id: id });
    return res.status;
  }

  async reopenContainerLog(id: string): Promise<void> {
    await this.call('ReopenContainerLog', { container_id: id });
  }

  /**
   * Runs a command in a container. A missing binary and a timeout come back as gRPC errors
   * (UNKNOWN, DEADLINE_EXCEEDED), not as exit codes; the gRPC deadline is kept longer than the exec timeout.
   */
  execSync(id: string, cmd: string[], timeoutSeconds: number): Promise<ExecSyncResponse> {
    return this.call('ExecSync', { container_id: id, cmd, timeout: timeoutSeconds }, timeoutSeconds * 1000 + 5_000);
  }

  /** The stream server URL for an interactive exec (the command starts when a client connects to it). */
  async exec(id: string, cmd: string[], streams: StdioRequest): Promise<string> {
    const res = await this.call<{ url: string }>('Exec', { container_id: id, cmd, ...streams });
    return res.url;
  }

  /** The stream server URL for attaching to a container's main process. */
  async attach(id: string, streams: StdioRequest): Promise<string> {
    const res = await this.call<{ url: string }>('Attach', { container_id: id, ...streams });
    return res.url;
  }

  /** The stream server URL for forwarding ports into a sandbox's network namespace. */
  async portForward(podSandboxId: string, ports: number[]): Promise<string> {
    const res = await this.call<{ url: string }>('PortForward', { pod_sandbox_id: podSandboxId, port: ports });
    return res.url;
  }

  async containerStats(id: string): Promise<ContainerStats> {
    const res = await this.call<{ stats: ContainerStats }>('ContainerStats', { container_id: id });
    return res.stats;
  }

  async listContainerStats(filter: { id?: string; pod_sandbox_id?: string; label_selector?: Record<string, string> } = {}): Promise<ContainerStats[]> {
    const res = await this.call<{ stats: ContainerStats[] }>('ListContainerStats', { filter });
    return res.stats;
  }

  // ---- ImageService ----

  /** null when the image is not present (the runtime answers with an empty image, not an error). */
  async imageStatus(image: string): Promise<Image | null> {
    const res = await this.call<{ image: Image | null }>('ImageStatus', { image: { image } });
    return res.image && res.image.id ? res.image : null;
  }

  async listImages(): Promise<Image[]> {
    const res = await this.call<{ images: Image[] }>('ListImages', {});
    return res.images;
  }

  async pullImage(image: string, timeoutMs = 300_000): Promise<string> {
    const res = await this.call<{ image_ref: string }>('PullImage', { image: { image } }, timeoutMs);
    return res.image_ref;
  }

  async removeImage(image: string): Promise<void> {
    await this.call('RemoveImage', { image: { image } });
  }

  async imageFsInfo(): Promise<FilesystemUsage[]> {
    const res = await this.call<{ image_filesystems: FilesystemUsage[] }>('ImageFsInfo', {});
    return res.image_filesystems;
  }
}
