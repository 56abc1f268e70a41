// The service proxy of a real node (kube-proxy's iptables mode): watches Services and
// EndpointSlices and keeps the nat table's chains (rules.ts) in step, so a connection to a cluster
// IP and port reaches one of the Service's ready pods. Only traffic to the service CIDR is ever
// matched: the jumps from OUTPUT and PREROUTING, the masquerade of DNATed service connections
// (replies come back through the host, no bridge netfilter needed) and a REJECT for cluster IPs
// without endpoints, so nothing addressed to the service CIDR leaves the machine.
import type { discovery } from '../api/types.js';
import { SERVICES, SharedInformerFactory, type KubeClient, type ResourceType } from '../client/index.js';
import { deleteJump, ensureJump, existingChains, restore, type JumpRule } from './iptables.js';
import { chainPrefix, natRules, portals, restoreInput } from './rules.js';

const ENDPOINTSLICES: ResourceType<discovery.EndpointSlice> = Object.freeze({
  group: 'discovery.k8s.io',
  version: 'v1',
  resource: 'endpointslices',
  kind: 'EndpointSlice',
  namespaced: true,
});

export interface ServiceProxyOptions {
  client: KubeClient;
  /** --service-cluster-ip-range: the only destinations the proxy's rules match. */
  serviceCIDR: string;
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

function jumps(prefix: string, cidr: string): JumpRule[] {
  const top = `${prefix}SERVICES`;
  const portalsComment = `kujira ${prefix} service portals`;
  return [
    { table: 'nat', chain: 'OUTPUT', rule: ['-d', cidr, '-m', 'comment', '--comment', portalsComment, '-j', top] },
    { table: 'nat', chain: 'PREROUTING', rule: ['-d', cidr, '-m', 'comment', '--comment', portalsComment, '-j', top] },
    { table: 'nat', chain: 'POSTROUTING', rule: ['-m', 'conntrack', '--ctstate', 'DNAT', '--ctorigdst', cidr, '-m', 'comment', '--comment', `kujira ${prefix} service traffic`, '-j', 'MASQUERADE'] },
    { table: 'filter', chain: 'OUTPUT', rule: ['-d', cidr, '-m', 'comment', '--comment', `kujira ${prefix} cluster IPs without endpoints`, '-j', 'REJECT'] },
    { table: 'filter', chain: 'FORWARD', rule: ['-d', cidr, '-m', 'comment', '--comment', `kujira ${prefix} cluster IPs without endpoints`, '-j', 'REJECT'] },
  ];
}

export async function startServiceProxy(opts: ServiceProxyOptions): Promise<ServiceProxy> {
  const prefix = chainPrefix(opts.instance);
  const rules = jumps(prefix, opts.serviceCIDR);
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
      for (const j of rules) await deleteJump(j);
      await restore(restoreInput({ top: '', chains: new Map() }, await existingChains(prefix))).catch((err: unknown) => opts.log(`proxy cleanup: ${(err as Error).message}`));
    },
  };
}
