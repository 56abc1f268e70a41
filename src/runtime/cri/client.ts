// A typed CRI v1 client over a unix socket: RuntimeService and ImageService with a deadline on every call.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type {
  Container, ContainerConfig, ContainerFilter, ContainerStats, ContainerStatus, ExecSyncResponse, FilesystemUsage, Image,
  PodSandbox, PodSandboxConfig, PodSandboxFilter, PodSandboxStatus, RuntimeCondition, VersionResponse,
} from './types.js';

/** gRPC status codes the agent reacts to. */
export const GrpcCode = { DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, UNKNOWN: 2, UNAVAILABLE: 14 } as const;

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

/** Where the .proto sits: beside this file in src/, or back in src/ when running from dist/src/. */
function protoPath(): string {
  const candidates = [
    fileURLToPath(new URL('./cri-v1.proto', import.meta.url)),
    fileURLToPath(new URL('../../../../src/runtime/cri/cri-v1.proto', import.meta.url)),
  ];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`cri-v1.proto not found (looked at ${candidates.join(', ')})`);
  return found;
}

type Unary = (req: object, meta: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: unknown) => void) => void;
type ServiceClient = grpc.Client & Record<string, Unary>;
type ServiceCtor = new (address: string, creds: grpc.ChannelCredentials, options?: grpc.ClientOptions) => ServiceClient;

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
  private readonly runtimeStub: ServiceClient;
  private readonly imageStub: ServiceClient;
  private readonly callTimeoutMs: number;

  constructor(readonly socket: string, options: CriClientOptions = {}) {
    this.callTimeoutMs = options.callTimeoutMs ?? 15_000;
    const definition = protoLoader.loadSync(protoPath(), { keepCase: true, longs: String, enums: String, defaults: true });
    const pkg = grpc.loadPackageDefinition(definition) as unknown as { runtime: { v1: Record<string, ServiceCtor> } };
    const address = `unix://${socket}`;
    const channelOptions: grpc.ClientOptions = { 'grpc.max_receive_message_length': 16 * 1024 * 1024 };
    this.runtimeStub = new pkg.runtime.v1.RuntimeService!(address, grpc.credentials.createInsecure(), channelOptions);
    this.imageStub = new pkg.runtime.v1.ImageService!(address, grpc.credentials.createInsecure(), channelOptions);
  }

  close(): void {
    this.runtimeStub.close();
    this.imageStub.close();
  }

  private call<T>(stub: ServiceClient, method: string, req: object, timeoutMs = this.callTimeoutMs): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const fn = stub[method];
      if (!fn) return reject(new Error(`no CRI method ${method}`));
      fn.call(stub, req, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) => {
        if (err) reject(new CriError(method, err.code, err.details || err.message, { cause: err }));
        else resolve(res as T);
      });
    });
  }

  // ---- RuntimeService ----

  version(): Promise<VersionResponse> {
    return this.call(this.runtimeStub, 'Version', { version: 'v1' });
  }

  async status(): Promise<RuntimeCondition[]> {
    const res = await this.call<{ status: { conditions: RuntimeCondition[] } | null }>(this.runtimeStub, 'Status', {});
    return res.status?.conditions ?? [];
  }

  async runPodSandbox(config: PodSandboxConfig, timeoutMs = 60_000): Promise<string> {
    const res = await this.call<{ pod_sandbox_id: string }>(this.runtimeStub, 'RunPodSandbox', { config }, timeoutMs);
    return res.pod_sandbox_id;
  }

  async stopPodSandbox(id: string): Promise<void> {
    await this.call(this.runtimeStub, 'StopPodSandbox', { pod_sandbox_id: id }, 60_000);
  }

  async removePodSandbox(id: string): Promise<void> {
    await this.call(this.runtimeStub, 'RemovePodSandbox', { pod_sandbox_id: id }, 60_000);
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    const res = await this.call<{ status: PodSandboxStatus }>(this.runtimeStub, 'PodSandboxStatus', { pod_sandbox_id: id });
    return res.status;
  }

  async listPodSandbox(filter: PodSandboxFilter = {}): Promise<PodSandbox[]> {
    const res = await this.call<{ items: PodSandbox[] }>(this.runtimeStub, 'ListPodSandbox', { filter });
    return res.items;
  }

  async createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string> {
    const res = await this.call<{ container_id: string }>(this.runtimeStub, 'CreateContainer',
      { pod_sandbox_id: podSandboxId, config, sandbox_config: sandboxConfig }, 60_000);
    return res.container_id;
  }

  async startContainer(id: string): Promise<void> {
    await this.call(this.runtimeStub, 'StartContainer', { container_id: id }, 60_000);
  }

  /** TERM, then KILL after timeoutSeconds: the call itself lasts up to that long, so its deadline is longer. */
  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    await this.call(this.runtimeStub, 'StopContainer', { container_id: id, timeout: timeoutSeconds }, timeoutSeconds * 1000 + 30_000);
  }

  async removeContainer(id: string): Promise<void> {
    await this.call(this.runtimeStub, 'RemoveContainer', { container_id: id }, 60_000);
  }

  async listContainers(filter: ContainerFilter = {}): Promise<Container[]> {
    const res = await this.call<{ containers: Container[] }>(this.runtimeStub, 'ListContainers', { filter });
    return res.containers;
  }

  async containerStatus(id: string): Promise<ContainerStatus> {
    const res = await this.call<{ status: ContainerStatus }>(this.runtimeStub, 'ContainerStatus', { container_id: id });
    return res.status;
  }

  async reopenContainerLog(id: string): Promise<void> {
    await this.call(this.runtimeStub, 'ReopenContainerLog', { container_id: id });
  }

  /**
   * Runs a command in a container. A missing binary and a timeout come back as gRPC errors
   * (UNKNOWN, DEADLINE_EXCEEDED), not as exit codes; the gRPC deadline is kept longer than the exec timeout.
   */
  execSync(id: string, cmd: string[], timeoutSeconds: number): Promise<ExecSyncResponse> {
    return this.call(this.runtimeStub, 'ExecSync', { container_id: id, cmd, timeout: timeoutSeconds }, timeoutSeconds * 1000 + 5_000);
  }

  /** The stream server URL for an interactive exec (the command starts when a client connects to it). */
  async exec(id: string, cmd: string[], streams: StdioRequest): Promise<string> {
    const res = await this.call<{ url: string }>(this.runtimeStub, 'Exec', { container_id: id, cmd, ...streams });
    return res.url;
  }

  /** The stream server URL for attaching to a container's main process. */
  async attach(id: string, streams: StdioRequest): Promise<string> {
    const res = await this.call<{ url: string }>(this.runtimeStub, 'Attach', { container_id: id, ...streams });
    return res.url;
  }

  /** The stream server URL for forwarding ports into a sandbox's network namespace. */
  async portForward(podSandboxId: string, ports: number[]): Promise<string> {
    const res = await this.call<{ url: string }>(this.runtimeStub, 'PortForward', { pod_sandbox_id: podSandboxId, port: ports });
    return res.url;
  }

  async containerStats(id: string): Promise<ContainerStats> {
    const res = await this.call<{ stats: ContainerStats }>(this.runtimeStub, 'ContainerStats', { container_id: id });
    return res.stats;
  }

  async listContainerStats(filter: { id?: string; pod_sandbox_id?: string; label_selector?: Record<string, string> } = {}): Promise<ContainerStats[]> {
    const res = await this.call<{ stats: ContainerStats[] }>(this.runtimeStub, 'ListContainerStats', { filter });
    return res.stats;
  }

  // ---- ImageService ----

  /** null when the image is not present (the runtime answers with an empty image, not an error). */
  async imageStatus(image: string): Promise<Image | null> {
    const res = await this.call<{ image: Image | null }>(this.imageStub, 'ImageStatus', { image: { image } });
    return res.image && res.image.id ? res.image : null;
  }

  async listImages(): Promise<Image[]> {
    const res = await this.call<{ images: Image[] }>(this.imageStub, 'ListImages', {});
    return res.images;
  }

  async pullImage(image: string, timeoutMs = 300_000): Promise<string> {
    const res = await this.call<{ image_ref: string }>(this.imageStub, 'PullImage', { image: { image } }, timeoutMs);
    return res.image_ref;
  }

  async removeImage(image: string): Promise<void> {
    await this.call(this.imageStub, 'RemoveImage', { image: { image } });
  }

  async imageFsInfo(): Promise<FilesystemUsage[]> {
    const res = await this.call<{ image_filesystems: FilesystemUsage[] }>(this.imageStub, 'ImageFsInfo', {});
    return res.image_filesystems;
  }
}
