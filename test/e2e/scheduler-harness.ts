// A small harness for the scheduler / simulated-node scenarios and bench: runs the real
// `kujira up` as a child process on a free port with its own data dir, and the real kubectl
// against it (KUBECONFIG = the data dir's admin kubeconfig).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childNodeArgs } from '../support/cluster.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const kujiraBin = join(repoRoot, 'bin', 'kujira');

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class Kujira {
  private constructor(
    readonly dataDir: string,
    private readonly child: ChildProcess,
    readonly url: string,
    readonly logs: { stdout: string; stderr: string },
  ) {}

  get kubeconfig(): string {
    return join(this.dataDir, 'kubeconfig');
  }

  get pid(): number {
    return this.child.pid!;
  }

  static async up(extraArgs: string[] = [], timeoutMs = 30_000): Promise<Kujira> {
    const dataDir = await mkdtemp(join(tmpdir(), 'kujira-sched-'));
    const child = spawn(process.execPath, [...childNodeArgs(), kujiraBin, 'up', '--data-dir', dataDir, '--port', '0', '--controllers=', ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
    const logs = { stdout: '', stderr: '' };
    child.stdout!.on('data', (c: Buffer) => (logs.stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (logs.stderr += c.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`kujira up not ready in time\n${logs.stderr}`)), timeoutMs);
      const check = (): void => {
        const m = /ready at (https:\/\/\S+?);/.exec(logs.stdout);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      };
      child.stdout!.on('data', check);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`kujira up exited with ${code}\n${logs.stderr}`));
      });
    });
    return new Kujira(dataDir, child, url, logs);
  }

  async down(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill('SIGTERM');
      await exited;
    }
    await rm(this.dataDir, { recursive: true, force: true });
  }

  kubectl(args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<KubectlResult> {
    return new Promise((resolve) => {
      const child = execFile(
        'kubectl',
        args,
        { env: { ...process.env, KUBECONFIG: this.kubeconfig }, timeout: opts.timeoutMs ?? 30_000, maxBuffer: 64 * 1024 * 1024 },
        (err, stdout, stderr) => {
          const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
      if (opts.input !== undefined) child.stdin!.end(opts.input);
    });
  }

  /** kubectl that must succeed; returns stdout. */
  async k(args: string[], opts: { input?: string } = {}): Promise<string> {
    const r = await this.kubectl(args, opts);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  }
}

/** Polls `check` until it gives a value (not undefined / false) or the deadline passes. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs = 10_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
