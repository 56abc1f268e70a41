// kube-proxy's iptables mode, the pure half: from Services and EndpointSlices to the nat-table
// chains that DNAT a cluster IP and port to one of the ready endpoints, picked at random
// (`-m statistic --mode random --probability 1/(n-i)`, so each of n endpoints gets 1/n).
//
//   <prefix>SERVICES   -d 10.96.0.10/32 -p tcp --dport 8080 → <prefix>S-<hash>   (one per Service port)
//   <prefix>S-<hash>   statistic 1/3 → E-a; statistic 1/2 → E-b; → E-c            (one per endpoint)
//   <prefix>E-<hash>   -p tcp -j DNAT --to-destination 10.1.2.5:8080
//   <prefix>NODEPORTS  -p tcp --dport 30080 → <prefix>S-<hash>                  (one per node port)
//   <prefix>NODEPORT-MASQ  -p tcp --ctorigdstport 30080 → MASQUERADE            (one per node port)
//
// Every chain name carries the instance prefix, so two clusters on one machine never share a chain.
// `hostRules` lists the few rules in the built-in chains that lead into ours; each matches only the
// service CIDR, one of the node-port addresses, or loopback traffic arriving on our own pod bridge.
import { compareAddresses, compareStrings } from '../api/compare.js';
import { createHash } from 'node:crypto';
import type { core, discovery } from '../api/types.js';

type Service = core.Service;
type EndpointSlice = discovery.EndpointSlice;

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export interface Backend {
  ip: string;
  port: number;
}

export interface Portal {
  /** "namespace/name:portName" as kube-proxy names a service port. */
  id: string;
  clusterIP: string;
  port: number;
  protocol: 'tcp' | 'udp' | 'sctp';
  /** The node port of a NodePort or LoadBalancer Service's port. */
  nodePort?: number;
  backends: Backend[];
}

/** The chain-name prefix of one proxy instance, e.g. "KJ-1a2b3c-" (iptables chain names end at 28 characters). */
export function chainPrefix(instance: string): string {
  return `KJ-${createHash('sha256').update(instance).digest('hex').slice(0, 6)}-`;
}

function hashed(prefix: string, kind: 'S' | 'E', text: string): string {
  return `${prefix}${kind}-${createHash('sha256').update(text).digest('hex').slice(0, 12).toUpperCase()}`;
}

/** Loopback endpoints (the API server's own) cannot be DNAT targets for forwarded traffic: left out. */
function usable(ip: string): boolean {
  return /^\d+\.\d+\.\d+\.\d+$/.test(ip) && !ip.startsWith('127.');
}

/**
 * The portals to program: every port of every Service with a cluster IP, with the ready endpoints
 * of its EndpointSlices that carry the port of the same name and protocol.
 */
export function portals(services: Service[], slices: EndpointSlice[]): Portal[] {
  const byService = new Map<string, EndpointSlice[]>();
  for (const s of slices) {
    const name = s.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (!name || s.addressType !== 'IPv4') continue;
    const key = `${s.metadata?.namespace}/${name}`;
    byService.set(key, [...(byService.get(key) ?? []), s]);
  }
  const out: Portal[] = [];
  for (const svc of services) {
    const ip = svc.spec?.clusterIP;
    if (!ip || ip === 'None' || svc.spec?.type === 'ExternalName' || !/^\d+\.\d+\.\d+\.\d+$/.test(ip)) continue;
    const key = `${svc.metadata?.namespace}/${svc.metadata?.name}`;
    for (const sp of svc.spec?.ports ?? []) {
      const protocol = (sp.protocol ?? 'TCP').toLowerCase() as Portal['protocol'];
      const seen = new Set<string>();
      const backends: Backend[] = [];
      for (const slice of byService.get(key) ?? []) {
        const port = (slice.ports ?? []).find((p) => (p.name ?? '') === (sp.name ?? '') && (p.protocol ?? 'TCP') === (sp.protocol ?? 'TCP'));
        if (!port?.port) continue;
        for (const e of slice.endpoints ?? []) {
          if (e.conditions?.ready === false) continue;
          const addr = e.addresses?.[0];
          if (!addr || !usable(addr) || seen.has(`${addr}:${port.port}`)) continue;
          seen.add(`${addr}:${port.port}`);
          backends.push({ ip: addr, port: port.port });
        }
      }
      backends.sort((a, b) => compareAddresses(`${a.ip}:${a.port}`, `${b.ip}:${b.port}`));
      const exposed = svc.spec?.type === 'NodePort' || svc.spec?.type === 'LoadBalancer';
      out.push({ id: `${key}:${sp.name ?? ''}`, clusterIP: ip, port: sp.port, protocol, ...(exposed && sp.nodePort ? { nodePort: sp.nodePort } : {}), backends });
    }
  }
  return out.sort((a, b) => compareStrings(a.id, b.id));
}

export interface NatRules {
  /** The top chain the OUTPUT and PREROUTING jumps for the service CIDR lead to. */
  top: string;
  /** Every chain we want, in order, with its rules (iptables-restore `-A` lines without the `-A <chain>`). */
  chains: Map<string, string[][]>;
}

/** The chains that always exist while the proxy runs: the built-in chains' rules jump to them. */
export function fixedChains(prefix: string): { services: string; nodePorts: string; nodePortMasq: string } {
  return { services: `${prefix}SERVICES`, nodePorts: `${prefix}NODEPORTS`, nodePortMasq: `${prefix}NODEPORT-MASQ` };
}

/**
 * The nat chains for these portals. Portals without endpoints get no rule: their cluster IP is answered
 * by the filter REJECT, their node port by the kernel (nothing listens there).
 */
export function natRules(prefix: string, list: Portal[]): NatRules {
  const fixed = fixedChains(prefix);
  const top = fixed.services;
  const chains = new Map<string, string[][]>([[top, []], [fixed.nodePorts, []], [fixed.nodePortMasq, []]]);
  for (const p of list) {
    if (p.backends.length === 0) continue;
    const svcChain = hashed(prefix, 'S', `${p.id}/${p.protocol}`);
    chains.get(top)!.push(['-d', `${p.clusterIP}/32`, '-p', p.protocol, '-m', 'comment', '--comment', `${p.id} cluster IP`, '-m', p.protocol, '--dport', String(p.port), '-j', svcChain]);
    if (p.nodePort) {
      // The same endpoint picks as the cluster IP; every node-port connection is masqueraded (as kube-proxy's
      // externalTrafficPolicy: Cluster), so the pod's reply returns through this host, whatever the client.
      chains.get(fixed.nodePorts)!.push(['-p', p.protocol, '-m', 'comment', '--comment', `${p.id} node port`, '-m', p.protocol, '--dport', String(p.nodePort), '-j', svcChain]);
      chains.get(fixed.nodePortMasq)!.push(['-p', p.protocol, '-m', 'comment', '--comment', `${p.id} node port`, '-m', 'conntrack', '--ctorigdstport', String(p.nodePort), '-j', 'MASQUERADE']);
    }
    const svcRules: string[][] = [];
    p.backends.forEach((b, i) => {
      const sep = hashed(prefix, 'E', `${p.id}/${p.protocol}/${b.ip}:${b.port}`);
      const left = p.backends.length - i;
      const pick = left > 1 ? ['-m', 'statistic', '--mode', 'random', '--probability', (1 / left).toFixed(10)] : [];
      svcRules.push(['-m', 'comment', '--comment', `${p.id} -> ${b.ip}:${b.port}`, ...pick, '-j', sep]);
      chains.set(sep, [['-p', p.protocol, '-m', 'comment', '--comment', `${p.id}`, '-m', p.protocol, '-j', 'DNAT', '--to-destination', `${b.ip}:${b.port}`]]);
    });
    chains.set(svcChain, svcRules);
  }
  return { top, chains };
}

/** A rule in a built-in chain: table, chain and the rule's words. */
export interface JumpRule {
  table: 'nat' | 'filter';
  chain: string;
  rule: string[];
}

export interface HostNetwork {
  /** --service-cluster-ip-range. */
  serviceCIDR: string;
  /**
   * Addresses whose node ports are opened: 127.0.0.1 and the node's InternalIP, nothing else (kube-proxy's
   * --nodeport-addresses). Only addresses of this machine are ever matched (`--dst-type LOCAL`).
   */
  nodePortAddresses: string[];
  /**
   * The node's pod bridge, when this proxy's node made it. 127.0.0.1 node ports need route_localnet on it
   * (a DNATed packet from 127.0.0.1 may otherwise not leave through it); the guard below goes with that.
   */
  bridge?: string;
}

/**
 * The rules in the built-in chains that lead into ours, in the order they are inserted.
 *
 * Masquerading: every connection DNATed from a cluster IP or a node port leaves with the host's address
 * on the pod bridge (kube-proxy with --masquerade-all). That covers the hairpin case kube-proxy marks
 * with KUBE-MARK-MASQ (pod → its own Service → itself: without it the pod would answer itself from its
 * own address and drop the reply), and a pod reaching another pod on the same bridge through a cluster
 * IP, whose reply would otherwise go straight across the bridge, past the conntrack entry that undoes
 * the DNAT, unless bridge-nf-call-iptables were on; we do not change that host-wide setting.
 *
 * Localnet guard: with route_localnet on the bridge, the kernel would also accept packets a pod sends to
 * 127.0.0.0/8 (CVE-2020-8558); as kube-proxy does, those are dropped unless they belong to a connection
 * the host opened (the replies of 127.0.0.1 node-port connections).
 */
export function hostRules(prefix: string, net: HostNetwork): JumpRule[] {
  const fixed = fixedChains(prefix);
  const cidr = net.serviceCIDR;
  const portals = `kujira ${prefix} service portals`;
  const rules: JumpRule[] = [
    { table: 'nat', chain: 'OUTPUT', rule: ['-d', cidr, '-m', 'comment', '--comment', portals, '-j', fixed.services] },
    { table: 'nat', chain: 'PREROUTING', rule: ['-d', cidr, '-m', 'comment', '--comment', portals, '-j', fixed.services] },
    { table: 'nat', chain: 'POSTROUTING', rule: ['-m', 'conntrack', '--ctstate', 'DNAT', '--ctorigdst', cidr, '-m', 'comment', '--comment', `kujira ${prefix} service traffic`, '-j', 'MASQUERADE'] },
    { table: 'filter', chain: 'OUTPUT', rule: ['-d', cidr, '-m', 'comment', '--comment', `kujira ${prefix} cluster IPs without endpoints`, '-j', 'REJECT'] },
    { table: 'filter', chain: 'FORWARD', rule: ['-d', cidr, '-m', 'comment', '--comment', `kujira ${prefix} cluster IPs without endpoints`, '-j', 'REJECT'] },
  ];
  for (const address of nodePortAddressesOf(net)) {
    const dst = ['-d', `${address}/32`, '-m', 'addrtype', '--dst-type', 'LOCAL', '-m', 'comment', '--comment', `kujira ${prefix} node ports`];
    rules.push({ table: 'nat', chain: 'OUTPUT', rule: [...dst, '-j', fixed.nodePorts] });
    // Loopback never arrives from outside: only the host itself connects to 127.0.0.1.
    if (!isLoopback(address)) rules.push({ table: 'nat', chain: 'PREROUTING', rule: [...dst, '-j', fixed.nodePorts] });
    rules.push({ table: 'nat', chain: 'POSTROUTING', rule: ['-m', 'conntrack', '--ctstate', 'DNAT', '--ctorigdst', `${address}/32`, '-m', 'comment', '--comment', `kujira ${prefix} node-port traffic`, '-j', fixed.nodePortMasq] });
  }
  if (localnetBridge(net)) {
    rules.push({ table: 'filter', chain: 'INPUT', rule: ['-i', net.bridge!, '-d', '127.0.0.0/8', '-m', 'conntrack', '!', '--ctstate', 'RELATED,ESTABLISHED,DNAT', '-m', 'comment', '--comment', `kujira ${prefix} no pod traffic to loopback`, '-j', 'DROP'] });
  }
  return rules;
}

function isLoopback(address: string): boolean {
  return address.startsWith('127.');
}

/**
 * The node-port addresses that can be served: IPv4 ones, and 127.0.0.1 only when our bridge is known
 * (a foreign runtime's network is not ours to set route_localnet on). Duplicates dropped.
 */
export function nodePortAddressesOf(net: HostNetwork): string[] {
  const out: string[] = [];
  for (const a of net.nodePortAddresses) {
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(a) || out.includes(a)) continue;
    if (isLoopback(a) && !net.bridge) continue;
    out.push(a);
  }
  return out;
}

/** The bridge that needs route_localnet=1 (for 127.x node ports), if any. */
export function localnetBridge(net: HostNetwork): string | undefined {
  return net.bridge && nodePortAddressesOf(net).some(isLoopback) ? net.bridge : undefined;
}

function quote(word: string): string {
  return /^[A-Za-z0-9_./:=,+-]+$/.test(word) ? word : `"${word.replace(/(["\\])/g, '\\$1')}"`;
}

/**
 * iptables-restore --noflush input: declares (and so flushes) every chain we want and every stale
 * one of ours, refills the wanted ones and deletes the stale ones. Other chains are not touched.
 */
export function restoreInput(rules: NatRules, existingOurs: string[]): string {
  const lines = ['*nat'];
  const stale = existingOurs.filter((c) => !rules.chains.has(c));
  for (const c of [...rules.chains.keys(), ...stale]) lines.push(`:${c} - [0:0]`);
  for (const [chain, list] of rules.chains) for (const r of list) lines.push(`-A ${chain} ${r.map(quote).join(' ')}`);
  for (const c of stale) lines.push(`-X ${c}`);
  lines.push('COMMIT', '');
  return lines.join('\n');
}

/** Whether two IPv4 CIDRs share an address (a pod subnet inside the service CIDR would be rejected). */
export { cidrsOverlap } from '../runtime/cri/host.js';
