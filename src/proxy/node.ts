// Starting the service proxy beside a real node agent: the one place `kujira up` (its in-process node)
// and `kujira agent` (a node joining a server) share, so both open the same cluster IPs and node ports.
import type { KubeClient } from '../client/index.js';
import { NODES } from '../client/index.js';
import { startServiceProxy, type ServiceProxy } from './proxier.js';
import { cidrsOverlap } from './rules.js';

export interface NodeProxyOptions {
  client: KubeClient;
  nodeName: string;
  /** --service-cluster-ip-range of the cluster. */
  serviceCIDR: string;
  /** The node's pod subnet and bridge ('' when the runtime's network is not ours). */
  podCIDR: string;
  bridge: string;
  /** The node's data dir: names its chains apart from other nodes' on the machine. */
  instance: string;
  log(line: string, fields?: Record<string, string>): void;
}

/**
 * Node ports are opened on 127.0.0.1 and on the InternalIP addresses the node reports (kube-proxy's
 * --nodeport-addresses, narrowed to what the user's node already exposes).
 */
export function nodePortAddresses(addresses: Array<{ type?: string; address?: string }> | undefined): string[] {
  const out = ['127.0.0.1'];
  for (const a of addresses ?? []) if (a.type === 'InternalIP' && a.address && !out.includes(a.address)) out.push(a.address);
  return out;
}

/** Starts the proxy, or logs why cluster IPs stay unrouted on this node and returns undefined. */
export async function startNodeProxy(opts: NodeProxyOptions): Promise<ServiceProxy | undefined> {
  if (opts.podCIDR && cidrsOverlap(opts.podCIDR, opts.serviceCIDR)) {
    opts.log(`the pod subnet ${opts.podCIDR} lies inside the service CIDR ${opts.serviceCIDR}; cluster IPs are not routed on this node`);
    return undefined;
  }
  try {
    const node = await opts.client.resource(NODES).get(undefined, opts.nodeName);
    return await startServiceProxy({
      client: opts.client,
      serviceCIDR: opts.serviceCIDR,
      nodePortAddresses: nodePortAddresses(node.status?.addresses),
      bridge: opts.bridge || undefined,
      instance: opts.instance,
      log: opts.log,
    });
  } catch (err) {
    opts.log(`the service proxy could not start; cluster IPs are not routed on this node: ${(err as Error).message}`);
    return undefined;
  }
}
