// What the composition roots (`kujira up`, `kujira agent`, `kujira image import`) use from the node agent.
import { KubeClient } from '../../client/client.js';
import { numberValueOf } from '../../api/quantity.js';
import { startNodeAgent, type NodeAgent, type NodeAgentOptions } from './agent.js';

/**
 * TLS connections the agent keeps to the API server. Its requests are short status writes and events;
 * eight in parallel keep up with a 50-pod burst, and each connection more costs a TLS session's CPU and buffers.
 */
export const AGENT_API_CONNECTIONS = 8;

export { startNodeAgent } from './agent.js';
export type { NodeAgent, NodeAgentOptions, StartNodeAgentArgs } from './agent.js';
export { detectContainerdSupport, APT_PACKAGES } from './detect.js';
export type { ContainerdSupport } from './detect.js';
export { collectUsage } from './server.js';
export type { UsageSummary } from './server.js';
export { importImageArchive, ensureBuiltinImages, DEMO_IMAGE, PAUSE_IMAGE } from '../../runtime/cri/images.js';
export { startContainerd } from '../../runtime/cri/containerd.js';
export { startHeapTrimmer } from './heaptrim.js';

/**
 * `kujira agent --server URL --token T [--name NODE]`: joins another machine's API server as a node.
 * The token is one the server's token file accepts (e.g. the admin token kujira up writes to
 * <data-dir>/pki/tokens.csv); caPem is the cluster CA (<data-dir>/pki/ca.crt) — without it the server's
 * certificate is not verified. The same CA verifies the API server's client certificate on the kubelet endpoint.
 */
export async function joinCluster(args: {
  server: string;
  token: string;
  nodeName: string;
  dataDir: string;
  caPem?: string;
  options?: NodeAgentOptions;
  /** The API client to use (e.g. one shared with the service proxy in the same process); default: a new one. */
  client?: KubeClient;
}): Promise<NodeAgent> {
  const client = args.client ?? new KubeClient({ server: args.server, token: args.token, ca: args.caPem, insecureSkipTLSVerify: !args.caPem, userAgent: `kujira-agent/${args.nodeName}`, maxConnections: AGENT_API_CONNECTIONS });
  return startNodeAgent({ client, dataDir: args.dataDir, nodeName: args.nodeName, options: { clientCA: args.caPem, endpointToken: args.token, ...args.options } });
}

/**
 * The two log rotation flags (`--container-log-max-size 10Mi`, `--container-log-max-files 5`, as the kubelet
 * names them) as agent options; an error whose message the command prints when the size is no quantity.
 */
export function logRotationOptions(maxSize: string, maxFiles: number): Pick<NodeAgentOptions, 'containerLogMaxSize' | 'containerLogMaxFiles'> {
  const bytes = numberValueOf(maxSize);
  if (bytes === undefined || !(bytes > 0)) throw new Error(`invalid --container-log-max-size ${JSON.stringify(maxSize)}: a positive quantity such as 10Mi`);
  return { containerLogMaxSize: Math.floor(bytes), containerLogMaxFiles: maxFiles };
}
