// Container log rotation as the kubelet's container log manager does it (--container-log-max-size, default 10Mi;
// --container-log-max-files, default 5). When a running container's log reaches the size, the current file
// `0.log` is renamed to `0.log.<YYYYMMDD-hhmmss>` and the runtime reopens `0.log`; the rotated file from the time
// before is gzipped to `….gz`, and the oldest rotated files go so that at most max-files files remain with the new
// current one. `kubectl logs` reads only the current file, as with the kubelet.
// The plan is pure; carrying it out (stat, gzip, rename, ReopenContainerLog) is the I/O below it.
import { createReadStream, createWriteStream } from 'node:fs';
import { readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { PodRuntime } from '../../runtime/runtime.js';

export interface LogRotationPolicy {
  /** Rotate once the current file has at least this many bytes. */
  maxSizeBytes: number;
  /** Files kept per container, the current one included (at least 2). */
  maxFiles: number;
}

export const DEFAULT_LOG_ROTATION: LogRotationPolicy = { maxSizeBytes: 10 * 1024 * 1024, maxFiles: 5 };

const COMPRESSED = '.gz';
const TEMPORARY = '.tmp';

/** Refuses what the kubelet refuses: max files below 2, a size that is not positive. */
export function validateLogRotation(policy: LogRotationPolicy): string | null {
  if (!Number.isInteger(policy.maxFiles) || policy.maxFiles <= 1) return `invalid container log max files ${policy.maxFiles}, must be greater than 1`;
  if (!(policy.maxSizeBytes > 0)) return `invalid container log max size ${policy.maxSizeBytes}, must be positive`;
  return null;
}

/** The kubelet's timestamp suffix (Go layout 20060102-150405, in the machine's local time). */
export function rotationStamp(at: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${at.getFullYear()}${two(at.getMonth() + 1)}${two(at.getDate())}-${two(at.getHours())}${two(at.getMinutes())}${two(at.getSeconds())}`;
}

export interface RotationPlan {
  /** Left-overs and the oldest rotated files, removed first. */
  remove: string[];
  /** Rotated files still plain text: each becomes <name>.gz. */
  compress: string[];
  /** The current file's new name. */
  rotateTo: string;
}

/**
 * What one rotation does (pure): `current` is the log file's name, `siblings` every name in its directory,
 * `size` its size in bytes. null when it need not (or cannot yet) rotate.
 * Example, max files 3, current 0.log of 12 MiB next to 0.log.20260101-100000.gz and 0.log.20260101-110000:
 * remove the .gz (3 − 2 = 1 rotated file may stay before the new one), compress 0.log.20260101-110000,
 * rename 0.log to 0.log.<now>.
 */
export function planRotation(current: string, size: number, siblings: string[], now: Date, policy: LogRotationPolicy): RotationPlan | null {
  if (size < policy.maxSizeBytes) return null;
  const prefix = `${current}.`;
  const rotated = siblings.filter((n) => n.startsWith(prefix)).sort();
  const remove: string[] = [];
  const inUse: string[] = [];
  for (const name of rotated) {
    // Half-written compressions and plain files whose compressed copy exists are left-overs of an interrupted rotation.
    const unused = name.endsWith(TEMPORARY) || (!name.endsWith(COMPRESSED) && rotated.includes(name + COMPRESSED));
    (unused ? remove : inUse).push(name);
  }
  // The new current file and the one being rotated now make two; max files − 2 older ones may stay, the oldest go first.
  const keep = Math.max(0, policy.maxFiles - 2);
  const excess = Math.max(0, inUse.length - keep);
  remove.push(...inUse.slice(0, excess));
  const kept = inUse.slice(excess);
  const rotateTo = `${current}.${rotationStamp(now)}`;
  // Two rotations within one second would share a name: wait for the next round.
  if (kept.includes(rotateTo) || kept.includes(rotateTo + COMPRESSED)) return null;
  return { remove, compress: kept.filter((n) => !n.endsWith(COMPRESSED)), rotateTo };
}

async function compress(path: string): Promise<void> {
  const tmp = path + TEMPORARY;
  await pipeline(createReadStream(path), createGzip(), createWriteStream(tmp, { mode: 0o640 }));
  await rename(tmp, path + COMPRESSED);
  await rm(path, { force: true });
}

/** Rotates one running container's log when it has grown past the limit; true when it did. */
export async function rotateContainerLog(runtime: PodRuntime, containerId: string, logPath: string, policy: LogRotationPolicy, now: Date): Promise<boolean> {
  const info = await stat(logPath).catch(() => null);
  if (!info) return false;
  const dir = dirname(logPath);
  const plan = planRotation(basename(logPath), info.size, await readdir(dir), now, policy);
  if (!plan) return false;
  for (const name of plan.remove) await rm(join(dir, name), { force: true });
  for (const name of plan.compress) await compress(join(dir, name));
  const rotated = join(dir, plan.rotateTo);
  await rename(logPath, rotated);
  try {
    await runtime.reopenLog(containerId);
  } catch (err) {
    // The container keeps writing to the renamed file; put it back so `kubectl logs` still finds it.
    await rename(rotated, logPath).catch(() => {});
    throw err;
  }
  // The container may have exited between the listing and the reopen: its last lines then sit in the rotated
  // file and a fresh, empty current file would be all `kubectl logs --previous` shows. Undo the rotation.
  const after = await runtime.containerStatus(containerId).catch(() => null);
  if (after && after.state !== 'running' && (await stat(logPath).catch(() => null))?.size === 0) {
    await rm(logPath, { force: true });
    await rename(rotated, logPath).catch(() => {});
    return false;
  }
  return true;
}

/** Removes a container's log file and every rotated file of it. */
export async function removeContainerLogs(logPath: string): Promise<void> {
  const dir = dirname(logPath);
  const prefix = `${basename(logPath)}.`;
  const names = await readdir(dir).catch(() => [] as string[]);
  await Promise.all([logPath, ...names.filter((n) => n.startsWith(prefix)).map((n) => join(dir, n))].map((p) => rm(p, { force: true })));
}
