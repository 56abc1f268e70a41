// Test harness for controller scenarios: runs the real `kujira up` on a free port
// with its own data dir, drives it with the real kubectl, and fills in what is not
// there yet: controllers in this process when `kujira up` does not run them, and a
// fake kubelet when the cluster has no nodes to run pods.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { core } from '../../api/types.js';
import { KubeClient, NODES } from '../../client/index.js';
import { startControllerManager, type ControllerManager } from '../index.js';
import { startFakeKubelet } from './fakekubelet.js';

/** dist/src/controllers/testing → repository root */
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ClusterOptions {
  /** Pods for which this returns false never become Ready under the fake kubelet. */
  ready?(pod: core.Pod): boolean;
  /** Fake kubelet delay before a pod turns Running/Ready. */
  readyDelayMs?: number;
  /**
   * Run every in-process component of `kujira up` (controller manager, scheduler,
   * simulated nodes) instead of the API server alone with our own controllers and fake kubelet.
   */
  fullStack?: { simulatedNodes: number };
}

export class KujiraUp {
  private stoppers: Array<() => Promise<void>> = [];
  client!: KubeClient;
  manager?: ControllerManager;

  private constructor(
    readonly dataDir: string,
    private readonly child: ChildProcess,
    readonly logs: { out: string },
  ) {}

  get kubeconfig(): string {
    return join(this.dataDir, 'kubeconfig');
  }

  static async start(opts: ClusterOptions = {}): Promise<KujiraUp> {
    const dataDir = await mkdtemp(join(tmpdir(), 'kujira-ctl-'));
    // KUJIRA_UP_NODE_FLAGS: extra node flags for the server process (e.g. --cpu-prof when benchmarking).
    const nodeFlags = (process.env.KUJIRA_UP_NODE_FLAGS ?? '').split(' ').filter(Boolean);
    const components = opts.fullStack ? ['--simulated-nodes', String(opts.fullStack.simulatedNodes)] : ['--controllers='];
    const child = spawn(process.execPath, [...nodeFlags, join(repoRoot, 'bin', 'kujira'), 'up', '--data-dir', dataDir, '--port', '0', '--runtime', 'simulated', ...components], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const logs = { out: '' };
    child.stdout!.on('data', (c: Buffer) => (logs.out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (logs.out += c.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`kujira up not ready in time\n${logs.out}`)), 30_000);
      const check = () => {
        if (/ready at https:\/\//.test(logs.out)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', check);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`kujira up exited with ${code}\n${logs.out}`));
      });
    });
    const c = new KujiraUp(dataDir, child, logs);
    c.client = KubeClient.fromKubeconfig(c.kubeconfig, { userAgent: 'controllers-e2e' });
    if (!/component=controller-manager/.test(logs.out)) {
      c.manager = startControllerManager({ client: c.client });
      c.stoppers.push(() => c.manager!.stop());
    }
    if (opts.fullStack) {
      // Wait for the simulated nodes to register and turn Ready before scheduling anything.
      const want = opts.fullStack.simulatedNodes;
      await eventually(async () => {
        const nodes = await c.client.resource(NODES).list(undefined);
        return nodes.items.filter((n) => n.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True')).length >= want;
      }, `${want} Ready nodes`, 60_000);
    }
    const nodes = await c.client.resource(NODES).list(undefined);
    if (nodes.items.length === 0) {
      const kubelet = startFakeKubelet(c.client, { ready: opts.ready, delayMs: opts.readyDelayMs ?? 50 });
      c.stoppers.push(() => kubelet.stop());
    }
    return c;
  }

  async stop(): Promise<void> {
    for (const s of this.stoppers.reverse()) await s().catch(() => undefined);
    this.client?.close();
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
        { env: { ...process.env, KUBECONFIG: this.kubeconfig }, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 },
        (err, stdout, stderr) => {
          const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
      if (opts.input !== undefined) child.stdin!.end(opts.input);
    });
  }

  /** kubectl that must succeed; returns stdout. */
  async k(args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<string> {
    const r = await this.kubectl(args, opts);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
    return r.stdout;
  }

  apply(yaml: string): Promise<string> {
    return this.k(['apply', '-f', '-'], { input: yaml });
  }
}

/** Polls `probe` until it returns a value that is not undefined/false, or fails after `ms`. */
export async function eventually<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, what: string, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
