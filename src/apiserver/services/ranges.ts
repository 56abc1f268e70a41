// The two ranges Services draw from: the service CIDR (cluster IPs, IPv4) and the node-port range.
// Pure arithmetic and parsing; the allocator keeps who holds what.
import { isIPv4 } from 'node:net';

export const DEFAULT_SERVICE_CIDR = '10.96.0.0/12';
export const DEFAULT_NODE_PORT_RANGE = '30000-32767';

/** An IPv4 CIDR as numbers: `base` is the network address, `size` the number of addresses in it. */
export interface Ipv4Range {
  cidr: string;
  base: number;
  size: number;
}

export function ipv4ToNumber(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

export function numberToIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** Parses "10.96.0.0/12"; throws with a message for the flag's user. */
export function parseIpv4Cidr(cidr: string): Ipv4Range {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(cidr.trim());
  if (!m || !isIPv4(m[1]!)) throw new Error(`invalid CIDR address: ${cidr}`);
  const bits = Number(m[2]);
  if (bits < 8 || bits > 30) throw new Error(`service CIDR ${cidr} must have a prefix length between /8 and /30`);
  const size = 2 ** (32 - bits);
  const base = ipv4ToNumber(m[1]!) - (ipv4ToNumber(m[1]!) % size);
  return { cidr: `${numberToIpv4(base)}/${bits}`, base, size };
}

/**
 * Offsets (from the network address) a cluster IP may take: the network and broadcast addresses
 * are never handed out, as in Kubernetes. Offset 1 is the first usable address (the `kubernetes` Service's).
 */
export function usableOffsets(r: Ipv4Range): { first: number; last: number } {
  return { first: 1, last: r.size - 2 };
}

/** Whether `ip` is an IPv4 address Services may hold in `r` (not the network or broadcast address). */
export function inRange(r: Ipv4Range, ip: string): boolean {
  if (!isIPv4(ip)) return false;
  const off = ipv4ToNumber(ip) - r.base;
  const { first, last } = usableOffsets(r);
  return off >= first && off <= last;
}

/** The first usable address: the API server's own `kubernetes` Service. */
export function firstAddress(r: Ipv4Range): string {
  return numberToIpv4(r.base + usableOffsets(r).first);
}

export interface PortRange {
  text: string;
  base: number;
  size: number;
}

/** Parses "30000-32767" (or a single port); throws with a message for the flag's user. */
export function parsePortRange(text: string): PortRange {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text.trim());
  const lo = m ? Number(m[1]) : NaN;
  const hi = m ? Number(m[2] ?? m[1]) : NaN;
  if (!m || lo < 1 || hi > 65535 || hi < lo) throw new Error(`invalid port range: ${text}`);
  return { text: `${lo}-${hi}`, base: lo, size: hi - lo + 1 };
}

/**
 * Kubernetes splits each range in two bands: dynamic allocation draws from the upper band first so
 * that addresses in the lower band stay free for users who ask for a fixed one (KEP-3070/3668).
 * Returns the size of the lower band for a range of `size` values.
 */
export function staticBandSize(size: number, min: number, max: number, divisor: number): number {
  return Math.min(Math.max(min, Math.floor(size / divisor)), max);
}

/**
 * Picks a free value among `count` values starting at `first`, trying the upper band (from
 * `first + lower`) at a random start before the lower band; undefined when all are taken.
 */
export function pickFree(first: number, count: number, lower: number, taken: (v: number) => boolean, random: () => number): number | undefined {
  const bands: Array<[number, number]> = lower < count ? [[first + lower, count - lower], [first, lower]] : [[first, count]];
  for (const [start, size] of bands) {
    if (size <= 0) continue;
    const offset = Math.floor(random() * size);
    for (let i = 0; i < size; i++) {
      const v = start + ((offset + i) % size);
      if (!taken(v)) return v;
    }
  }
  return undefined;
}
