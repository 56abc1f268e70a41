// Pod volumes on the node: emptyDir (tmpfs for medium Memory), hostPath with its type checks, configMap,
// secret, downwardAPI and projected volumes written as files. Everything lives under the pod's directory
// and is removed with the pod.
import { chmod, lstat, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, join, normalize } from 'node:path';
import { numberValueOf } from '../../api/quantity.js';
import type { core } from '../../api/types.js';
import { mountsUnder, run, unmountAllUnder } from '../../runtime/cri/host.js';
import { fieldRefValue, type FieldContext } from './translate.js';

/** A volume that could not be set up; the message is what `kubectl describe` shows under FailedMount. */
export class VolumeError extends Error {
  constructor(readonly volume: string, message: string) {
    super(`MountVolume.SetUp failed for volume "${volume}" : ${message}`);
    this.name = 'VolumeError';
  }
}

export interface VolumeSources {
  configMap(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  secret(namespace: string, name: string): Promise<Record<string, string> | undefined>;
}

/** Checks (and for the *OrCreate types, creates) a hostPath as Kubernetes' `type` demands. */
export async function checkHostPath(path: string, type: string | undefined): Promise<void> {
  const info = await stat(path).catch(() => null);
  switch (type ?? '') {
    case '': return;
    case 'DirectoryOrCreate':
      if (!info) { await mkdir(path, { recursive: true, mode: 0o755 }); return; }
      if (!info.isDirectory()) throw new Error(`hostPath type check failed: ${path} is not a directory`);
      return;
    case 'Directory':
      if (!info) throw new Error(`hostPath type check failed: ${path} is not a directory`);
      if (!info.isDirectory()) throw new Error(`hostPath type check failed: ${path} is not a directory`);
      return;
    case 'FileOrCreate':
      if (!info) { await writeFile(path, '', { mode: 0o644 }); return; }
      if (!info.isFile()) throw new Error(`hostPath type check failed: ${path} is not a file`);
      return;
    case 'File':
      if (!info?.isFile()) throw new Error(`hostPath type check failed: ${path} is not a file`);
      return;
    case 'Socket':
      if (!info?.isSocket()) throw new Error(`hostPath type check failed: ${path} is not a socket file`);
      return;
    case 'CharDevice':
      if (!info?.isCharacterDevice()) throw new Error(`hostPath type check failed: ${path} is not a character device`);
      return;
    case 'BlockDevice':
      if (!info?.isBlockDevice()) throw new Error(`hostPath type check failed: ${path} is not a block device`);
      return;
    default:
      throw new Error(`hostPath type check failed: unknown type ${type}`);
  }
}

async function writeItems(dir: string, data: Record<string, string>, items: core.KeyToPath[] | undefined, mode: number, what: string, optional: boolean): Promise<void> {
  await mkdir(dir, { recursive: true });
  const chosen: core.KeyToPath[] = items?.length ? items : Object.keys(data).map((key) => ({ key, path: key }));
  for (const item of chosen) {
    if (!(item.key in data)) {
      if (optional) continue;
      throw new Error(`configmap references non-existent config key: ${item.key}`.replace('configmap', what));
    }
    const target = join(dir, safeRelative(item.path));
    await mkdir(join(target, '..'), { recursive: true });
    await writeFile(target, data[item.key] ?? '', { mode: item.mode ?? mode });
  }
}

function safeRelative(path: string): string {
  const n = normalize(path);
  if (isAbsolute(n) || n.startsWith('..')) throw new Error(`invalid path ${path}`);
  return n;
}

/** Sets up every volume of the pod; returns the host path of each by name. */
export async function setUpVolumes(pod: core.Pod, podDir: string, sources: VolumeSources, ctx: FieldContext): Promise<Map<string, string>> {
  const paths = new Map<string, string>();
  const ns = pod.metadata?.namespace ?? 'default';
  for (const v of pod.spec?.volumes ?? []) {
    try {
      if (v.emptyDir) {
        const dir = join(podDir, 'volumes', 'empty-dir', v.name);
        await mkdir(dir, { recursive: true, mode: 0o777 });
        await chmod(dir, 0o777);
        if (v.emptyDir.medium === 'Memory' && (await mountsUnder(dir)).length === 0) {
          const size = numberValueOf(v.emptyDir.sizeLimit);
          const opts = ['mode=1777', ...(size ? [`size=${Math.floor(size)}`] : [])].join(',');
          const res = await run('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', dir]);
          if (res.code !== 0) throw new Error(`mount tmpfs: ${res.stderr.trim()}`);
        }
        paths.set(v.name, dir);
      } else if (v.hostPath) {
        await checkHostPath(v.hostPath.path, v.hostPath.type);
        paths.set(v.name, v.hostPath.path);
      } else if (v.configMap) {
        const dir = join(podDir, 'volumes', 'configmap', v.name);
        const data = await sources.configMap(ns, v.configMap.name ?? '');
        if (!data && !v.configMap.optional) throw new Error(`configmap "${v.configMap.name}" not found`);
        await rm(dir, { recursive: true, force: true });
        await writeItems(dir, data ?? {}, v.configMap.items, v.configMap.defaultMode ?? 0o644, 'configmap', !!v.configMap.optional);
        paths.set(v.name, dir);
      } else if (v.secret) {
        const dir = join(podDir, 'volumes', 'secret', v.name);
        const data = await sources.secret(ns, v.secret.secretName ?? '');
        if (!data && !v.secret.optional) throw new Error(`secret "${v.secret.secretName}" not found`);
        await rm(dir, { recursive: true, force: true });
        await writeItems(dir, data ?? {}, v.secret.items, v.secret.defaultMode ?? 0o644, 'secret', !!v.secret.optional);
        paths.set(v.name, dir);
      } else if (v.downwardAPI) {
        const dir = join(podDir, 'volumes', 'downward-api', v.name);
        await rm(dir, { recursive: true, force: true });
        await mkdir(dir, { recursive: true });
        for (const item of v.downwardAPI.items ?? []) {
          if (!item.fieldRef) continue;
          await writeFile(join(dir, safeRelative(item.path)), fieldRefValue(item.fieldRef.fieldPath, ctx), { mode: item.mode ?? v.downwardAPI.defaultMode ?? 0o644 });
        }
        paths.set(v.name, dir);
      } else if (v.projected) {
        const dir = join(podDir, 'volumes', 'projected', v.name);
        await rm(dir, { recursive: true, force: true });
        await mkdir(dir, { recursive: true });
        const mode = v.projected.defaultMode ?? 0o644;
        for (const src of v.projected.sources ?? []) {
          if (src.configMap) {
            const data = await sources.configMap(ns, src.configMap.name ?? '');
            if (!data && !src.configMap.optional) throw new Error(`configmap "${src.configMap.name}" not found`);
            await writeItems(dir, data ?? {}, src.configMap.items, mode, 'configmap', !!src.configMap.optional);
          } else if (src.secret) {
            const data = await sources.secret(ns, src.secret.name ?? '');
            if (!data && !src.secret.optional) throw new Error(`secret "${src.secret.name}" not found`);
            await writeItems(dir, data ?? {}, src.secret.items, mode, 'secret', !!src.secret.optional);
          } else if (src.downwardAPI) {
            for (const item of src.downwardAPI.items ?? []) {
              if (item.fieldRef) await writeFile(join(dir, safeRelative(item.path)), fieldRefValue(item.fieldRef.fieldPath, ctx), { mode });
            }
          } else if (src.serviceAccountToken) {
            // No token issuer on the node: the file exists so programs that read it start; the API refuses it.
            await writeFile(join(dir, safeRelative(src.serviceAccountToken.path)), '', { mode });
          }
        }
        paths.set(v.name, dir);
      } else {
        throw new Error('volume type is not supported by this node');
      }
    } catch (err) {
      if (err instanceof VolumeError) throw err;
      throw new VolumeError(v.name, (err as Error).message);
    }
  }
  return paths;
}

/** The host side of a volumeMount: the volume's path, or a directory below it for subPath (created if missing). */
export async function mountSource(volumePath: string, subPath: string | undefined): Promise<string> {
  if (!subPath) return volumePath;
  const rel = safeRelative(subPath);
  const target = join(volumePath, rel);
  const exists = await lstat(target).catch(() => null);
  if (!exists) await mkdir(target, { recursive: true, mode: 0o777 });
  return target;
}

/** Unmounts tmpfs volumes and removes the pod's directory (volumes, etc-hosts, logs). */
export async function tearDownPodDir(podDir: string): Promise<void> {
  await unmountAllUnder(podDir);
  await rm(podDir, { recursive: true, force: true });
}
