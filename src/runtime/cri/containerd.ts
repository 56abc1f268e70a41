// Starts, adopts and stops a private containerd for one node agent. Everything it writes lives under
// <dataDir>/containerd and <dataDir>/cni, except what containerd 1.6 cannot move (shim sockets in
// /run/containerd/s), the pod bridge, and one iptables rule that keeps pod traffic on this machine.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, openSync, closeSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CriClient } from './client.js';
import {
  cidrsOverlap, deleteRule, ensureRule, hostPrefixes, ipv4ToString, parseCidr, run, splitRuleWords, unmountAllUnder, which,
} from './host.js';
import { ensureBuiltinImages, PAUSE_IMAGE } from './images.js';

export interface ContainerdOptions {
  /** The agent's data dir; containerd's root, state, sockets and CNI files go below it. */
  dataDir: string;
  /** CRI socket of a containerd someone else runs: attach to it, never configure, start or stop it. */
  socket?: string;
  /** Pod subnet (IPv4 CIDR, /16–/28). Default: a free 10.x.y.0/24 derived from the data dir. */
  subnet?: string;
  /** Bridge name (≤ 15 chars). Default: "kj" + a hash of the data dir. */
  bridge?: string;
  /** Masquerade pod traffic leaving the bridge, so pods can reach other networks. Off by default. */
  ipMasq?: boolean;
  /**
   * The cluster's service CIDR: pods get a route to it through the bridge, where the service proxy
   * DNATs cluster IPs to pods. Default: what `writeServiceNetwork` recorded in the data dir, if anything.
   */
  serviceCIDR?: string;
  /** Log sink for one-line notices. */
  log?: (line: string) => void;
  /** Give up waiting for containerd's CRI after this long (ms). */
  startTimeoutMs?: number;
}

export interface ContainerdHandle {
  readonly socket: string;
  readonly client: CriClient;
  /** The pod subnet and bridge (for an adopted or foreign runtime: what we configured, or '' when unknown). */
  readonly subnet: string;
  readonly bridge: string;
  /** True when this handle started (or adopted from an earlier run) the containerd process and may stop it. */
  readonly owned: boolean;
  pid(): number | undefined;
  /** Stops containerd (SIGTERM, then SIGKILL) and starts it again with the same config; pods keep running. */
  restart(): Promise<void>;
  /**
   * Stops containerd if owned. With removePods, first stops and removes every sandbox, then removes the bridge,
   * the iptables rule, mounts under the data dir and restores net.ipv4.ip_forward.
   */
  stop(options?: { removePods?: boolean }): Promise<void>;
}

interface NetworkRecord {
  subnet: string;
  bridge: string;
  ipMasq: boolean;
  /** net.ipv4.ip_forward before our bridge first set it, restored on full teardown. */
  ipForwardBefore: string;
}

export const CNI_BIN_DIR = '/usr/lib/cni';

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

/** A /24 in 10.0.0.0/8 that no host route or address overlaps, starting from a spot derived from the seed. */
export function chooseSubnet(seed: string, taken: string[]): string {
  const start = parseInt(shortHash(seed).slice(0, 4), 16);
  for (let i = 0; i < 65536; i++) {
    const n = (start + i) % 65536;
    const second = (n >> 8) & 255;
    const third = n & 255;
    // Keep clear of the ranges Kubernetes tools default to (10.0/16, 10.96/12 service ranges, 10.244/16 flannel).
    if (second === 0 || (second >= 96 && second <= 111) || second === 244) continue;
    const candidate = `10.${second}.${third}.0/24`;
    if (!taken.some((t) => cidrsOverlap(t, candidate))) return candidate;
  }
  throw new Error('no free /24 in 10.0.0.0/8 for the pod subnet');
}

/** The gateway (first host) address of a subnet: 10.1.2.0/24 → 10.1.2.1. */
export function gatewayOf(subnet: string): string {
  const parsed = parseCidr(subnet);
  if (!parsed) throw new Error(`invalid subnet ${subnet}`);
  return ipv4ToString(parsed[0] + 1);
}

export function containerdConfig(dir: string, sandboxImage: string, cniConfDir: string): string {
  // TOML basic strings: JSON string escaping is a valid subset for paths.
  const q = (s: string) => JSON.stringify(s);
  return `# Written by kujira's node agent; regenerated at every start.
version = 2
root = ${q(join(dir, 'root'))}
state = ${q(join(dir, 'state'))}

[grpc]
  address = ${q(join(dir, 'containerd.sock'))}

[plugins]
  [plugins."io.containerd.internal.v1.opt"]
    path = ${q(join(dir, 'opt'))}
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = ${q(sandboxImage)}
    # Root here lacks CAP_SYS_RESOURCE, so negative OOM scores (pause asks for -998) would make runc fail.
    restrict_oom_score_adj = true
    netns_mounts_under_state_dir = true
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        Root = ${q(join(dir, 'runc'))}
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = ${q(CNI_BIN_DIR)}
      conf_dir = ${q(cniConfDir)}
    [plugins."io.containerd.grpc.v1.cri".registry]
      config_path = ${q(join(dir, 'certs.d'))}
`;
}

/**
 * Pod routes: the bridge's subnet and the service CIDR (through the gateway, where the service proxy
 * turns a cluster IP into a pod's address). Without masquerading there is no default route: pods reach
 * their bridge's subnet, the host and cluster IPs only; nothing they send is routed off the machine.
 */
export function podRoutes(network: Pick<NetworkRecord, 'subnet' | 'ipMasq'>, serviceCIDR?: string): Array<{ dst: string }> {
  if (network.ipMasq) return [{ dst: '0.0.0.0/0' }];
  const routes = [{ dst: network.subnet }];
  if (serviceCIDR && parseCidr(serviceCIDR)) routes.push({ dst: serviceCIDR });
  return routes;
}

const SERVICE_NETWORK_FILE = 'service-network.json';

/**
 * Records the cluster's service CIDR for the node in `dataDir` (read by the next startContainerd): how
 * `kujira up` and `kujira agent` hand --service-cluster-ip-range down to the pod network they start.
 */
export async function writeServiceNetwork(dataDir: string, serviceCIDR: string): Promise<void> {
  if (!parseCidr(serviceCIDR)) throw new Error(`invalid service CIDR ${serviceCIDR}`);
  await mkdir(join(resolve(dataDir), 'cni'), { recursive: true });
  await writeFile(join(resolve(dataDir), 'cni', SERVICE_NETWORK_FILE), JSON.stringify({ serviceCIDR }, null, 2));
}

async function readServiceNetwork(dataDir: string): Promise<string | undefined> {
  try {
    const record = JSON.parse(await readFile(join(dataDir, 'cni', SERVICE_NETWORK_FILE), 'utf8')) as { serviceCIDR?: unknown };
    return typeof record.serviceCIDR === 'string' ? record.serviceCIDR : undefined;
  } catch {
    return undefined;
  }
}

export function cniConfig(network: NetworkRecord, ipamDir: string, serviceCIDR?: string): string {
  return JSON.stringify({
    cniVersion: '1.0.0',
    name: `kujira-${network.bridge}`,
    plugins: [
      {
        type: 'bridge', bridge: network.bridge, isGateway: true, isDefaultGateway: network.ipMasq, ipMasq: network.ipMasq, hairpinMode: true,
        ipam: {
          type: 'host-local', dataDir: ipamDir,
          ranges: [[{ subnet: network.subnet, gateway: gatewayOf(network.subnet) }]],
          routes: podRoutes(network, serviceCIDR),
        },
      },
      { type: 'portmap', capabilities: { portMappings: true }, snat: true },
    ],
  }, null, 2);
}

/** The FORWARD rule that drops whatever pods send off their bridge (unless masquerading is wanted). */
function forwardDropRule(bridge: string): string[] {
  return ['-i', bridge, '!', '-o', bridge, '-j', 'DROP', '-m', 'comment', '--comment', `kujira: keep ${bridge} pod traffic local`];
}

async function readIpForward(): Promise<string> {
  try { return (await readFile('/proc/sys/net/ipv4/ip_forward', 'utf8')).trim(); } catch { return ''; }
}

function processAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

async function socketAnswers(socket: string): Promise<boolean> {
  if (!existsSync(socket)) return false;
  const client = new CriClient(socket, { callTimeoutMs: 2000 });
  try { await client.version(); return true; } catch { return false; } finally { client.close(); }
}

async function waitForCri(client: CriClient, deadline: number, isDead: () => string | null): Promise<void> {
  let last = 'no answer';
  while (Date.now() < deadline) {
    const dead = isDead();
    if (dead) throw new Error(dead);
    try {
      const conditions = await client.status();
      const notReady = conditions.filter((c) => !c.status).map((c) => `${c.type}: ${c.reason} ${c.message}`.trim());
      if (conditions.length > 0 && notReady.length === 0) return;
      last = notReady.join('; ') || 'no conditions';
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(50);
  }
  throw new Error(`containerd did not become ready: ${last}`);
}

/** Starts (or adopts) the node's containerd and makes sure the pause image is present. */
export async function startContainerd(options: ContainerdOptions): Promise<ContainerdHandle> {
  const log = options.log ?? (() => {});
  if (options.socket) return attachForeign(options.socket, log);

  const dataDir = resolve(options.dataDir);
  const dir = join(dataDir, 'containerd');
  const cniDir = join(dataDir, 'cni');
  const socket = join(dir, 'containerd.sock');
  const pidFile = join(dir, 'containerd.pid');
  const networkFile = join(dir, 'network.json');
  await mkdir(join(dir, 'certs.d'), { recursive: true });
  await mkdir(join(cniDir, 'net.d'), { recursive: true });

  // The network of an earlier run is kept: existing pods and the IPAM store refer to it.
  let network: NetworkRecord;
  try {
    network = JSON.parse(await readFile(networkFile, 'utf8')) as NetworkRecord;
  } catch {
    const subnet = options.subnet ?? chooseSubnet(dataDir, await hostPrefixes());
    network = {
      subnet,
      bridge: options.bridge ?? `kj${shortHash(dataDir)}`,
      ipMasq: options.ipMasq ?? false,
      ipForwardBefore: await readIpForward(),
    };
    await writeFile(networkFile, JSON.stringify(network, null, 2));
  }
  if (options.ipMasq !== undefined && options.ipMasq !== network.ipMasq) {
    network = { ...network, ipMasq: options.ipMasq };
    await writeFile(networkFile, JSON.stringify(network, null, 2));
  }
  if (network.bridge.length > 15) throw new Error(`bridge name ${network.bridge} is longer than 15 characters`);

  const configFile = join(dir, 'config.toml');
  await writeFile(configFile, containerdConfig(dir, PAUSE_IMAGE, join(cniDir, 'net.d')));
  const serviceCIDR = options.serviceCIDR ?? (await readServiceNetwork(dataDir));
  await writeFile(join(cniDir, 'net.d', '10-kujira.conflist'), cniConfig(network, join(cniDir, 'ipam'), serviceCIDR));

  // Nothing may leave the machine from the bridge unless masquerading was asked for: installed before the first pod.
  if (!network.ipMasq) {
    await ensureRule('iptables', 'filter', 'FORWARD', forwardDropRule(network.bridge));
    await ensureRule('ip6tables', 'filter', 'FORWARD', forwardDropRule(network.bridge)).catch(() => false);
  } else {
    await deleteRule('iptables', 'filter', 'FORWARD', forwardDropRule(network.bridge));
    await deleteRule('ip6tables', 'filter', 'FORWARD', forwardDropRule(network.bridge));
  }

  let pid: number | undefined;
  let exitNote: string | null = null;

  const launch = async (): Promise<void> => {
    exitNote = null;
    // Adopt the containerd an earlier agent run left running on this data dir.
    let recorded: number | undefined;
    try { recorded = Number((await readFile(pidFile, 'utf8')).trim()) || undefined; } catch { /* none */ }
    if (recorded && processAlive(recorded) && (await socketAnswers(socket))) {
      pid = recorded;
      log(`containerd: adopted running containerd (pid ${pid}) on ${socket}`);
    } else {
      const containerdBin = await which('containerd');
      if (!containerdBin) throw new Error('containerd is not installed (apt-get install containerd runc containernetworking-plugins)');
      await rm(socket, { force: true });
      const logFd = openSync(join(dir, 'containerd.log'), 'a');
      const child = spawn(containerdBin, ['--config', configFile], { stdio: ['ignore', logFd, logFd], detached: true });
      closeSync(logFd);
      child.unref();
      pid = child.pid;
      child.once('exit', (code, signal) => { exitNote = `containerd exited (${signal ?? code}); see ${join(dir, 'containerd.log')}`; });
      await writeFile(pidFile, String(pid));
      log(`containerd: started pid ${pid} on ${socket}`);
    }
    const client = new CriClient(socket, { callTimeoutMs: 3000 });
    try {
      await waitForCri(client, Date.now() + (options.startTimeoutMs ?? 30_000), () => exitNote);
    } finally {
      client.close();
    }
  };

  const terminate = async (): Promise<void> => {
    if (!pid || !processAlive(pid)) return;
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + 15_000;
    while (processAlive(pid) && Date.now() < deadline) await sleep(50);
    if (processAlive(pid)) {
      process.kill(pid, 'SIGKILL');
      while (processAlive(pid)) await sleep(20);
    }
  };

  try {
    await launch();
  } catch (err) {
    await terminate().catch(() => {});
    throw err;
  }
  const client = new CriClient(socket);
  await ensureBuiltinImages(socket, client, join(dataDir, 'images'), [PAUSE_IMAGE]);

  return {
    socket, client, subnet: network.subnet, bridge: network.bridge, owned: true,
    pid: () => pid,
    async restart() {
      await terminate();
      await rm(pidFile, { force: true });
      await launch();
    },
    async stop(stopOptions = {}) {
      if (stopOptions.removePods) await removeAllPods(client, log);
      client.close();
      await terminate();
      await rm(pidFile, { force: true });
      if (stopOptions.removePods) {
        await unmountAllUnder(dir);
        await run('ip', ['link', 'del', network.bridge]);
        await deleteRule('iptables', 'filter', 'FORWARD', forwardDropRule(network.bridge));
        await deleteRule('ip6tables', 'filter', 'FORWARD', forwardDropRule(network.bridge));
        await removeEmptyPortmapChains();
        if (network.ipForwardBefore === '0' && !(await otherBridgesRemain())) {
          await writeFile('/proc/sys/net/ipv4/ip_forward', '0').catch(() => {});
        }
        await rm(networkFile, { force: true });
      }
    },
  };
}

async function attachForeign(socket: string, log: (line: string) => void): Promise<ContainerdHandle> {
  const client = new CriClient(socket);
  await waitForCri(client, Date.now() + 10_000, () => (existsSync(socket) ? null : `no CRI socket at ${socket}`));
  log(`containerd: using the runtime at ${socket}`);
  await ensureBuiltinImages(socket, client, null, [PAUSE_IMAGE]).catch((err: Error) => log(`containerd: ${err.message}`));
  return {
    socket, client, subnet: '', bridge: '', owned: false,
    pid: () => undefined,
    async restart() { throw new Error('cannot restart a containerd this agent did not start'); },
    async stop(stopOptions = {}) {
      if (stopOptions.removePods) await removeAllPods(client, log);
      client.close();
    },
  };
}

/** Stops and removes every sandbox (and so every container) this runtime knows. */
export async function removeAllPods(client: CriClient, log: (line: string) => void): Promise<void> {
  const sandboxes = await client.listPodSandbox().catch(() => []);
  await Promise.all(sandboxes.map(async (sb) => {
    try {
      const containers = await client.listContainers({ pod_sandbox_id: sb.id });
      await Promise.all(containers.map((c) => client.stopContainer(c.id, 0).catch(() => {})));
      await client.stopPodSandbox(sb.id);
      await client.removePodSandbox(sb.id);
    } catch (err) {
      log(`containerd: removing sandbox ${sb.id}: ${(err as Error).message}`);
    }
  }));
}

/** portmap leaves its base chains behind; remove them once no rule in them is left. */
async function removeEmptyPortmapChains(): Promise<void> {
  const jumps: [string, string][] = [['PREROUTING', 'CNI-HOSTPORT-DNAT'], ['OUTPUT', 'CNI-HOSTPORT-DNAT'], ['POSTROUTING', 'CNI-HOSTPORT-MASQ']];
  const dnat = await run('iptables', ['-w', '-t', 'nat', '-S', 'CNI-HOSTPORT-DNAT']);
  if (dnat.code !== 0 || dnat.stdout.trim().split('\n').length > 1) return;
  for (const [chain, target] of jumps) {
    const rules = await run('iptables', ['-w', '-t', 'nat', '-S', chain]);
    for (const line of rules.stdout.split('\n')) {
      if (line.startsWith(`-A ${chain} `) && line.includes(`-j ${target}`)) {
        await run('iptables', ['-w', '-t', 'nat', '-D', ...splitRuleWords(line).slice(1)]);
      }
    }
  }
  for (const chain of ['CNI-HOSTPORT-SETMARK', 'CNI-HOSTPORT-MASQ', 'CNI-HOSTPORT-DNAT']) {
    await run('iptables', ['-w', '-t', 'nat', '-F', chain]);
    await run('iptables', ['-w', '-t', 'nat', '-X', chain]);
  }
}

async function otherBridgesRemain(): Promise<boolean> {
  const links = await run('ip', ['-o', 'link', 'show', 'type', 'bridge']);
  return links.stdout.trim().length > 0;
}
