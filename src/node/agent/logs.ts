// Container logs in the CRI format ("<RFC3339Nano> <stdout|stderr> <P|F> <text>") turned into what
// `kubectl logs` prints, with tail, since, timestamps and follow.
import { open, stat, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export interface LogOptions {
  follow: boolean;
  tailLines?: number;
  timestamps: boolean;
  sinceSeconds?: number;
  sinceTime?: string;
  limitBytes?: number;
}

export interface LogLine {
  time: string;
  stream: string;
  text: string;
}

/** Joins partial (P) records into full lines; returns the complete lines and the unfinished rest. */
export function parseCriLog(chunk: string, pending: { text: string; time: string; stream: string } | null): { lines: LogLine[]; pending: { text: string; time: string; stream: string } | null } {
  const lines: LogLine[] = [];
  let open = pending;
  for (const raw of chunk.split('\n')) {
    if (!raw) continue;
    const a = raw.indexOf(' ');
    const b = raw.indexOf(' ', a + 1);
    const c = raw.indexOf(' ', b + 1);
    if (a < 0 || b < 0) continue;
    const time = raw.slice(0, a);
    const stream = raw.slice(a + 1, b);
    const tag = c < 0 ? raw.slice(b + 1) : raw.slice(b + 1, c);
    const text = c < 0 ? '' : raw.slice(c + 1);
    const joined = open ? { ...open, text: open.text + text } : { time, stream, text };
    if (tag.startsWith('P')) open = joined;
    else { lines.push(joined); open = null; }
  }
  return { lines, pending: open };
}

export function formatLine(line: LogLine, timestamps: boolean): string {
  return timestamps ? `${line.time} ${line.text}\n` : `${line.text}\n`;
}

function sinceMs(opts: LogOptions, now: number): number | undefined {
  if (opts.sinceSeconds !== undefined) return now - opts.sinceSeconds * 1000;
  if (opts.sinceTime) return Date.parse(opts.sinceTime);
  return undefined;
}

/**
 * Writes the log to `write`. With follow, keeps reading as the file grows until `stillRunning` says the
 * container ended (and the file is drained) or the signal aborts.
 */
/** True when `path` now names a different file than the open handle (the log was rotated and reopened). */
async function replaced(path: string, handle: FileHandle): Promise<boolean> {
  const [now, open] = await Promise.all([stat(path).catch(() => null), handle.stat()]);
  return !!now && (now.ino !== open.ino || now.dev !== open.dev);
}

export async function streamLog(path: string, opts: LogOptions, write: (text: string) => boolean | Promise<void>, signal: AbortSignal,
  stillRunning: () => Promise<boolean>, now = Date.now()): Promise<void> {
  let handle = await open(path, 'r');
  try {
    const since = sinceMs(opts, now);
    let position = 0;
    let pending: { text: string; time: string; stream: string } | null = null;
    let carry = '';
    let written = 0;
    const emit = async (lines: LogLine[]): Promise<boolean> => {
      for (const l of lines) {
        if (since !== undefined && Date.parse(l.time) < since) continue;
        let text = formatLine(l, opts.timestamps);
        if (opts.limitBytes !== undefined) {
          if (written >= opts.limitBytes) return false;
          text = text.slice(0, opts.limitBytes - written);
        }
        written += Buffer.byteLength(text);
        await write(text);
      }
      return true;
    };
    const readMore = async (): Promise<LogLine[]> => {
      const size = (await handle.stat()).size;
      if (size <= position) return [];
      const buf = Buffer.alloc(size - position);
      const { bytesRead } = await handle.read(buf, 0, buf.length, position);
      position += bytesRead;
      const text = carry + buf.subarray(0, bytesRead).toString('utf8');
      const cut = text.lastIndexOf('\n');
      carry = cut < 0 ? text : text.slice(cut + 1);
      const parsed = parseCriLog(cut < 0 ? '' : text.slice(0, cut + 1), pending);
      pending = parsed.pending;
      return parsed.lines;
    };
    let first = await readMore();
    if (opts.tailLines !== undefined) first = opts.tailLines <= 0 ? [] : first.slice(-opts.tailLines);
    if (!(await emit(first))) return;
    if (!opts.follow) return;
    while (!signal.aborted) {
      const more = await readMore();
      if (more.length) { if (!(await emit(more))) return; continue; }
      if (await replaced(path, handle)) {
        // Rotated: what the old file still had is read above; go on with the new one from its start.
        if (!(await emit(await readMore()))) return;
        const next = await open(path, 'r');
        await handle.close();
        handle = next;
        position = 0;
        carry = '';
        continue;
      }
      if (!(await stillRunning())) {
        const rest = await readMore();
        await emit(rest);
        return;
      }
      await sleep(200, undefined, { signal }).catch(() => {});
    }
  } finally {
    await handle.close();
  }
}

export async function fileExists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}
