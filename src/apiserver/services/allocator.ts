// Cluster IPs and node ports for Services: who holds what is derived from the stored Services
// themselves (a list at start, then a store watch), so allocations survive a restart and are
// given back when a Service goes, whichever way it goes (DELETE, finalizer removal, namespace
// deletion). Writes in flight hold their values as pending reservations, taken synchronously,
// so two concurrent creates can never be handed the same address or port.
import { errors, type FieldCause } from '../../api/errors.js';
import type { Logger } from '../../api/log.js';
import type { KubeObject, core } from '../../api/types.js';
import type { Store, Watch } from '../../storage/store.js';
import type { AllocationHooks } from '../registry/types.js';
import { needsClusterIP, needsNodePorts } from '../registry/services.js';
import { GoLiteral, fe } from '../registry/common.js';
import { decodeKv, type ServedResource } from '../resources.js';
import {
  DEFAULT_NODE_PORT_RANGE, DEFAULT_SERVICE_CIDR, inRange, ipv4ToNumber, numberToIpv4, parseIpv4Cidr, parsePortRange, pickFree, staticBandSize,
  usableOffsets, type Ipv4Range, type PortRange,
} from './ranges.js';
import { isIPv4 } from 'node:net';

type Service = core.Service;

export interface ServiceNetworkOptions {
  /** --service-cluster-ip-range (default 10.96.0.0/12). */
  clusterIPRange?: string;
  /** --service-node-port-range (default 30000-32767). */
  nodePortRange?: string;
}

/** What one stored Service holds. */
interface Holding {
  ips: number[];
  ports: number[];
  /** modRevision the holding was read at: an older view never replaces a newer one. */
  revision: number;
}

/** How many deleted Services to remember (so a late view of one cannot bring its holdings back). */
const REMEMBERED_DELETIONS = 1024;

export class ServiceAllocator implements AllocationHooks {
  readonly ipRange: Ipv4Range;
  readonly portRange: PortRange;
  private readonly ipHolder = new Map<number, string>();
  private readonly portHolder = new Map<number, string>();
  private readonly pendingIPs = new Map<number, string>();
  private readonly pendingPorts = new Map<number, string>();
  private readonly holdings = new Map<string, Holding>();
  private readonly deleted = new Set<string>();
  private watch?: Watch;
  private stopped = false;

  constructor(
    options: ServiceNetworkOptions = {},
    private readonly random: () => number = Math.random,
  ) {
    this.ipRange = parseIpv4Cidr(options.clusterIPRange ?? DEFAULT_SERVICE_CIDR);
    this.portRange = parsePortRange(options.nodePortRange ?? DEFAULT_NODE_PORT_RANGE);
  }

  // ---- ownership from the stored Services -------------------------------------------------

  /** Loads every stored Service, then follows the store. Resolves once the holdings are known. */
  async start(store: Store, services: ServedResource, log: Logger): Promise<void> {
    const listed = await store.list(services.prefix);
    this.reset();
    for (const kv of listed.kvs) this.observe(decodeKv(services, kv) as Service, kv.modRevision);
    this.watch = store.watch(services.prefix, { fromRevision: listed.revision + 1 }, {
      onEvents: (events) => {
        for (const ev of events) {
          if (ev.type === 'put') this.observe(decodeKv(services, ev.kv) as Service, ev.kv.modRevision);
          else if (ev.prevKv) this.forget(decodeKv(services, ev.prevKv).metadata?.uid ?? '');
        }
      },
      onError: (err) => {
        if (this.stopped) return;
        // Fell behind or was compacted: read everything again.
        log.warn('service allocation watch ended; reloading', { err: err.message });
        this.start(store, services, log).catch((e: unknown) => log.error('cannot reload service allocations', { err: (e as Error).message }));
      },
    });
  }

  stop(): void {
    this.stopped = true;
    this.watch?.cancel();
  }

  private reset(): void {
    this.ipHolder.clear();
    this.portHolder.clear();
    this.holdings.clear();
  }

  /** Records what a stored Service holds at `revision`, giving back what an older version held. */
  observe(svc: Service, revision: number): void {
    const uid = svc.metadata?.uid;
    if (!uid || this.deleted.has(uid)) return;
    const before = this.holdings.get(uid);
    if (before && before.revision > revision) return;
    if (before) this.release(uid, before);
    const now: Holding = { ips: [], ports: [], revision };
    if (needsClusterIP(svc)) {
      for (const ip of svc.spec?.clusterIPs ?? (svc.spec?.clusterIP ? [svc.spec.clusterIP] : [])) {
        if (!inRange(this.ipRange, ip)) continue;
        const n = ipv4ToNumber(ip);
        this.ipHolder.set(n, uid);
        now.ips.push(n);
      }
    }
    if (needsNodePorts(svc)) {
      for (const p of svc.spec?.ports ?? []) {
        if (!p.nodePort || !this.portInRange(p.nodePort)) continue;
        this.portHolder.set(p.nodePort, uid);
        now.ports.push(p.nodePort);
      }
    }
    this.holdings.set(uid, now);
  }

  /** A Service is gone: everything it held is free. */
  forget(uid: string): void {
    const h = this.holdings.get(uid);
    if (h) this.release(uid, h);
    this.holdings.delete(uid);
    this.deleted.add(uid);
    if (this.deleted.size > REMEMBERED_DELETIONS) this.deleted.delete(this.deleted.values().next().value!);
  }

  private release(uid: string, h: Holding): void {
    for (const ip of h.ips) if (this.ipHolder.get(ip) === uid) this.ipHolder.delete(ip);
    for (const p of h.ports) if (this.portHolder.get(p) === uid) this.portHolder.delete(p);
  }

  /** Whether an address or port is held by a stored Service or reserved by a write in flight. */
  isIPAllocated(ip: string): boolean {
    const n = ipv4ToNumber(ip);
    return this.ipHolder.has(n) || this.pendingIPs.has(n);
  }

  isNodePortAllocated(port: number): boolean {
    return this.portHolder.has(port) || this.pendingPorts.has(port);
  }

  private portInRange(p: number): boolean {
    return p >= this.portRange.base && p < this.portRange.base + this.portRange.size;
  }

  // ---- AllocationHooks --------------------------------------------------------------------

  beginCreate(obj: KubeObject): (stored: boolean) => void {
    return this.reserve(obj as Service);
  }

  beginUpdate(obj: KubeObject): (stored: boolean) => void {
    return this.reserve(obj as Service);
  }

  /**
   * Gives the Service the cluster IP and node ports it needs: the ones it asks for when they are
   * free and in range, fresh ones when it names none. Values the Service already holds stay its own.
   */
  private reserve(svc: Service): (stored: boolean) => void {
    const uid = svc.metadata?.uid ?? '';
    const name = svc.metadata?.name ?? '';
    const spec = svc.spec ?? {};
    const ips: number[] = [];
    const ports: number[] = [];
    const causes: FieldCause[] = [];
    const finish = (stored: boolean) => {
      for (const ip of ips.splice(0)) if (this.pendingIPs.get(ip) === uid) this.pendingIPs.delete(ip);
      for (const p of ports.splice(0)) if (this.pendingPorts.get(p) === uid) this.pendingPorts.delete(p);
      if (stored) this.observe(svc, Number(svc.metadata?.resourceVersion ?? 0));
    };
    const ipTaken = (n: number) => (this.ipHolder.has(n) && this.ipHolder.get(n) !== uid) || this.pendingIPs.has(n);
    const portTaken = (p: number) => (this.portHolder.has(p) && this.portHolder.get(p) !== uid) || this.pendingPorts.has(p);

    if (needsClusterIP(svc)) {
      const wanted = spec.clusterIP || spec.clusterIPs?.[0];
      if (wanted) {
        if (isIPv4(wanted)) {
          const n = ipv4ToNumber(wanted);
          const why = !inRange(this.ipRange, wanted)
            ? `the provided IP (${wanted}) is not in the valid range. The range of valid IPs is ${this.ipRange.cidr}`
            : this.ipHolder.get(n) === uid
              ? undefined
              : ipTaken(n)
                ? 'provided IP is already allocated'
                : undefined;
          if (why) causes.push(fe.invalid('spec.clusterIPs', goStrings(spec.clusterIPs ?? [wanted]), `failed to allocate IP ${wanted}: ${why}`));
          else if (this.ipHolder.get(n) !== uid) {
            this.pendingIPs.set(n, uid);
            ips.push(n);
          }
        }
      } else {
        const { first, last } = usableOffsets(this.ipRange);
        const count = last - first + 1;
        const lower = staticBandSize(count, 16, 256, 16);
        const offset = pickFree(first, count, lower, (off) => ipTaken(this.ipRange.base + off), this.random);
        if (offset === undefined) {
          finish(false);
          throw errors.internal('failed to allocate a serviceIP: range is full');
        }
        const n = this.ipRange.base + offset;
        this.pendingIPs.set(n, uid);
        ips.push(n);
        spec.clusterIP = numberToIpv4(n);
        spec.clusterIPs = [spec.clusterIP];
      }
    }

    if (needsNodePorts(svc)) {
      const mine = new Set<number>();
      (spec.ports ?? []).forEach((p, i) => {
        if (p.nodePort) {
          const np = p.nodePort;
          if (this.portHolder.get(np) === uid || mine.has(np)) return;
          const why = !this.portInRange(np)
            ? `provided port is not in the valid range. The range of valid ports is ${this.portRange.text}`
            : portTaken(np)
              ? 'provided port is already allocated'
              : undefined;
          if (why) {
            causes.push(fe.invalid(`spec.ports[${i}].nodePort`, np, why));
            return;
          }
          this.pendingPorts.set(np, uid);
          ports.push(np);
          mine.add(np);
          return;
        }
        const lower = staticBandSize(this.portRange.size, 16, 128, 32);
        const picked = pickFree(this.portRange.base, this.portRange.size, lower, (v) => portTaken(v) || mine.has(v), this.random);
        if (picked === undefined) {
          causes.push(fe.invalid(`spec.ports[${i}].nodePort`, 0, 'range is full'));
          return;
        }
        this.pendingPorts.set(picked, uid);
        ports.push(picked);
        mine.add(picked);
        p.nodePort = picked;
      });
    }

    if (causes.length > 0) {
      finish(false);
      throw errors.invalid('', 'Service', name, causes);
    }
    let done = false;
    return (stored) => {
      if (done) return;
      done = true;
      finish(stored);
    };
  }
}

/** []string{"a", "b"} as Go's %#v prints a string slice. */
function goStrings(v: readonly string[]): GoLiteral {
  return new GoLiteral(`[]string{${v.map((s) => JSON.stringify(s)).join(', ')}}`);
}
