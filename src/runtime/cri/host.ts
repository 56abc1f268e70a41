// Small host helpers for the containerd manager: running commands, iptables rules, cgroup and mount paths.
import { execFile } from 'node:child_process';
import { readFile, readdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program without a shell; never throws for a non-zero exit (the caller decides). */
export function run(file: string, args: string[], options: { timeoutMs?: number; input?: string } = {}): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { timeout: options.timeoutMs ?? 30_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const raw = err ? (err as { code?: unknown }).code : 0;
      const code = typeof raw === 'number' ? raw : err ? 127 : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr || (err && !stderr ? err.message : '')) });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Whether an executable is on PATH (or at an absolute path). */
export async function which(name: string, extraDirs: string[] = ['/usr/sbin', '/sbin', '/usr/bin', '/bin']): Promise<string | null> {
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), ...extraDirs];
  const { access, constants } = await import('node:fs/promises');
  if (name.startsWith('/')) {
    try { await access(name, constants.X_OK); return name; } catch { return null; }
  }
  for (const dir of dirs) {
    try { await access(join(dir, name), constants.X_OK); return join(dir, name); } catch { /* next */ }
  }
  return null;
}

/** Mount points of cgroup hierarchies: v1 controllers and the unified (v2) one, e.g. /sys/fs/cgroup/memory. */
export async function cgroupRoots(): Promise<string[]> {
  const mounts = await readFile('/proc/self/mounts', 'utf8');
  const roots: string[] = [];
  for (const line of mounts.split('\n')) {
    const [, where, type] = line.split(' ');
    if (where && (type === 'cgroup' || type === 'cgroup2')) roots.push(unescapeMountPath(where));
  }
  return roots;
}

/** Removes a cgroup directory and everything below it (cgroup dirs are removed with rmdir, deepest first). */
export async function removeCgroupTree(dir: string): Promise<void> {
  let entries: string[];
  try {
    entries = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return;
  }
  for (const child of entries) await removeCgroupTree(join(dir, child));
  try { await rmdir(dir); } catch { /* busy or gone: the next sweep retries */ }
}

/** /proc/self/mounts escapes space, tab, newline and backslash as octal. */
export function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Mount points at or below a directory, deepest first (the order to unmount them in). */
export async function mountsUnder(dir: string): Promise<string[]> {
  const mounts = await readFile('/proc/self/mounts', 'utf8');
  const prefix = dir.endsWith('/') ? dir : dir + '/';
  const found = mounts.split('\n')
    .map((line) => unescapeMountPath(line.split(' ')[1] ?? ''))
    .filter((where) => where === dir || where.startsWith(prefix));
  return [...new Set(found)].sort((a, b) => b.length - a.length);
}

export async function unmountAllUnder(dir: string): Promise<void> {
  for (let round = 0; round < 3; round++) {
    const points = await mountsUnder(dir);
    if (points.length === 0) return;
    for (const point of points) await run('umount', ['-l', point]);
  }
}

/** An iptables rule we add and later remove; -C checks so adding twice does not duplicate it. */
export async function ensureRule(binary: string, table: string, chain: string, rule: string[]): Promise<boolean> {
  if (!(await which(binary))) return false;
  const check = await run(binary, ['-w', '-t', table, '-C', chain, ...rule]);
  if (check.code === 0) return true;
  const add = await run(binary, ['-w', '-t', table, '-I', chain, ...rule]);
  if (add.code !== 0) throw new Error(`${binary} -I ${chain} ${rule.join(' ')}: ${add.stderr.trim()}`);
  return true;
}

export async function deleteRule(binary: string, table: string, chain: string, rule: string[]): Promise<void> {
  if (!(await which(binary))) return;
  // Delete every copy, in case an earlier run crashed after adding one.
  for (let i = 0; i < 10; i++) {
    const del = await run(binary, ['-w', '-t', table, '-D', chain, ...rule]);
    if (del.code !== 0) return;
  }
}

/** Parses IPv4 CIDR into [network as uint32, prefix length]. */
export function parseCidr(cidr: string): [number, number] | null {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)(?:\/(\d+))?$/.exec(cidr.trim());
  if (!m) return null;
  const octets = m.slice(1, 5).map(Number);
  if (octets.some((o) => o > 255)) return null;
  const prefix = m[5] === undefined ? 32 : Number(m[5]);
  const ip = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [(ip & mask) >>> 0, prefix];
}

export function cidrsOverlap(a: string, b: string): boolean {
  const pa = parseCidr(a);
  const pb = parseCidr(b);
  if (!pa || !pb) return false;
  const prefix = Math.min(pa[1], pb[1]);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return ((pa[0] & mask) >>> 0) === ((pb[0] & mask) >>> 0);
}

/** The IPv4 prefixes the host already routes or owns (routes in all tables, plus interface addresses). */
export async function hostPrefixes(): Promise<string[]> {
  const out: string[] = [];
  const routes = await run('ip', ['-4', '-o', 'route', 'show', 'table', 'all']);
  for (const line of routes.stdout.split('\n')) {
    const first = line.trim().split(/\s+/);
    // "local 10.1.2.3 dev ..." / "broadcast ..." lines carry the type first.
    const dst = ['local', 'broadcast', 'unicast', 'multicast'].includes(first[0] ?? '') ? first[1] : first[0];
    if (dst && dst !== 'default' && parseCidr(dst)) out.push(dst);
  }
  const addrs = await run('ip', ['-4', '-o', 'addr', 'show']);
  for (const m of addrs.stdout.matchAll(/inet (\d+\.\d+\.\d+\.\d+\/\d+)/g)) out.push(m[1]!);
  return out;
}

export function ipv4ToString(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

/** Splits an iptables -S line into words, honouring the double quotes around comments. */
export function splitRuleWords(line: string): string[] {
  const words: string[] = [];
  for (const m of line.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)) words.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!);
  return words;
}
