// Can this machine run real pods through containerd? One clear line when it cannot (for `kujira up --runtime auto`).
import { access, constants } from 'node:fs/promises';
import { which } from '../../runtime/cri/host.js';

export type ContainerdSupport = { ok: true } | { ok: false; why: string };

export const APT_PACKAGES = ['containerd', 'runc', 'containernetworking-plugins', 'busybox-static', 'iptables', 'iproute2'];

export async function detectContainerdSupport(): Promise<ContainerdSupport> {
  if (process.platform !== 'linux') return { ok: false, why: `containerd needs Linux (this is ${process.platform})` };
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return { ok: false, why: 'containerd needs root (run kujira as root for real containers)' };
  const missing: string[] = [];
  for (const [bin, pkg] of [['containerd', 'containerd'], ['ctr', 'containerd'], ['runc', 'runc'], ['iptables', 'iptables'], ['ip', 'iproute2'], ['mount', 'mount']] as const) {
    if (!(await which(bin))) missing.push(`${bin} (${pkg})`);
  }
  for (const plugin of ['bridge', 'host-local', 'loopback', 'portmap']) {
    if (!(await access(`/usr/lib/cni/${plugin}`, constants.X_OK).then(() => true, () => false))) missing.push(`/usr/lib/cni/${plugin} (containernetworking-plugins)`);
  }
  if (!(await access('/bin/busybox', constants.X_OK).then(() => true, () => false))) missing.push('/bin/busybox (busybox-static)');
  if (missing.length) return { ok: false, why: `missing ${missing.join(', ')}: apt-get install ${APT_PACKAGES.join(' ')}` };
  return { ok: true };
}
