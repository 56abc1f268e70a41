// The service proxy of a real node (kube-proxy's iptables mode): watches Services and
// EndpointSlices and keeps the nat table's chains (rules.ts) in step, so a connection to a cluster
// IP and port, or to a node port on 127.0.0.1 or the node's InternalIP, reaches one of the Service's
// ready pods. The built-in chains only get the rules `hostRules` lists: jumps for the service CIDR and
// the node-port addresses, the masquerade of connections DNATed from them (replies come back through
// the host, no bridge netfilter needed), a REJECT for cluster IPs without endpoints, so nothing
// addressed to the service CIDR leaves the machine, and the loopback guard of our pod bridge.
import type { discovery } from '../api/types.js';
import { SERVICES, SharedInformerFactory, type KubeClient, type ResourceType } from '../client/index.js';
import { deleteJump, ensureJump, existingChains, readRouteLocalnet, restore, writeRouteLocalnet } from './iptables.js';
import { chainPrefix, hostRules, localnetBridge, natRules, portals, restoreInput } from './rules.js';

const ENDPOINTSLICES: ResourceType<discovery.EndpointSlice> = Object.freeze({
  group: 'discovery.k8s.io',
  version: 'v1',
  resource: 'endpointslices',
  kind: 'EndpointSlice',
  namespaced: true,
});

export interface ServiceProxyOptions {
  client: KubeClient;
  /** --service-cluster-ip-range: the only destinations the proxy's cluster-IP rules match. */
  serviceCIDR: string;
  /** Where node ports are opened: 127.0.0.1 and the node's InternalIP (see rules.ts: HostNetwork). */
  nodePortAddresses?: string[];
  /** The node's own pod bridge (route_localnet is switched on there for 127.0.0.1 node ports). */
  bridge?: string;
  /** Names this proxy's chains apart from other clusters' on the machine (e.g. the node's data dir). */
  instance: string;
  /** Changes arriving within this window are written in one iptables-restore. */
  minSyncIntervalMs?: number;
  log(line: string): void;
}

export interface ServiceProxy {
  /** Resolves after the next sync that follows this call (tests wait on it). */
  synced(): Promise<void>;
  stop(): Promise<void>;
}

export async function startServiceProxy(opts: ServiceProxyOptions): Promise<ServiceProxy> {
  const prefix = chainPrefix(opts.instance);
  const net = { serviceCIDR: opts.serviceCIDR, nodePortAddresses: opts.nodePortAddresses ?? [], bridge: opts.bridge && /^[\w.-]{1,15}$/.test(opts.bridge) ? opts.bridge : undefined };
  const rules = hostRules(prefix, net);
  const localnet = localnetBridge(net);
  // The CNI plugin makes the bridge with the node's first pod, so it is looked for at every sync.
  const ensureLocalnet = async () => {
    if (localnet && (await readRouteLocalnet(localnet)) === '0') await writeRouteLocalnet(localnet, '1');
  };
  const factory = new SharedInformerFactory(opts.client, { onError: (err) => opts.log(`proxy informer: ${(err as Error).message}`) });
  const services = factory.informer(SERVICES);
  const slices = factory.informer(ENDPOINTSLICES);

  // Chains first (a jump to a missing chain is refused), then the jumps.
  await restore(restoreInput(natRules(prefix, []), await existingChains(prefix)));
  for (const j of rules) await ensureJump(j);

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let waiters: Array<() => void> = [];
  let stopped = false;
  const sync = async () => {
    const done = waiters;
    waiters = [];
    try {
      const want = natRules(prefix, portals(services.cache.list(), slices.cache.list()));
      await restore(restoreInput(want, await existingChains(prefix)));
      await ensureLocalnet();
    } catch (err) {
      opts.log(`proxy sync failed: ${(err as Error).message}`);
    }
    done.forEach((w) => w());
  };
  const schedule = () => {
    if (stopped || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      running = running.then(sync);
    }, opts.minSyncIntervalMs ?? 50);
  };
  for (const inf of [services, slices] as const) {
    (inf as typeof services).addEventHandler({ onAdd: schedule, onUpdate: schedule, onDelete: schedule });
  }
  factory.start();
  await Promise.all([services.waitForSync(), slices.waitForSync()]);
  schedule();

  return {
    synced: () =>
      new Promise<void>((resolve) => {
        waiters.push(resolve);
        schedule();
      }),
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await factory.stop();
      await running;
      // The bridge is this node's alone: switched back off before the loopback guard goes.
      if (localnet && (await readRouteLocalnet(localnet)) === '1') await writeRouteLocalnet(localnet, '0').catch(() => {});
      for (const j of rules) await deleteJump(j);
      await restore(restoreInput({ top: '', chains: new Map() }, await existingChains(prefix))).catch((err: unknown) => opts.log(`proxy cleanup: ${(err as Error).message}`));
    },
  };
}
