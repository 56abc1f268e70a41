// Harness for controller scenarios: a TestCluster (the real `kujira up` and kubectl) plus what
// the scenario needs beside it: a client, our controllers in this process when `kujira up` does
// not run them, and a fake kubelet when the cluster has no nodes to run pods.
import type { core } from '../../src/api/types.js';
import { KubeClient, NODES } from '../../src/client/index.js';
import { startControllerManager, type ControllerManager, type ControllerManagerOptions } from '../../src/controllers/index.js';
import { startFakeKubelet } from '../../src/controllers/testing/fakekubelet.js';
import { eventually, TestCluster, type KubectlResult } from './cluster.js';

export { eventually };

export interface ClusterOptions {
  /** Pods for which this returns false never become Ready under the fake kubelet. */
  ready?(pod: core.Pod): boolean;
  /** Fake kubelet delay before a pod turns Running/Ready. */
  readyDelayMs?: number;
  /**
   * Run every in-process component of `kujira up` (controller manager, scheduler,
   * simulated nodes) instead of the API server alone with our own controllers and fake kubelet.
   */
  fullStack?: { simulatedNodes: number; componentThread?: boolean };
  /**
   * Run the controller manager in this process with these options (short periods for
   * tests), also with `fullStack`, whose own controller manager is then left out.
   */
  manager?: ControllerManagerOptions;
}

export class KujiraUp {
  private stoppers: Array<() => Promise<void>> = [];
  manager?: ControllerManager;

  private constructor(
    readonly cluster: TestCluster,
    readonly client: KubeClient,
  ) {}

  get kubeconfig(): string {
    return this.cluster.kubeconfig;
  }

  static async start(opts: ClusterOptions = {}): Promise<KujiraUp> {
    const ownManager = !opts.fullStack || opts.manager !== undefined;
    const components = opts.fullStack
      ? [
          `--controllers=*${ownManager ? ',-controller-manager' : ''}`,
          '--simulated-nodes',
          String(opts.fullStack.simulatedNodes),
          ...(opts.fullStack.componentThread ? ['--component-thread', 'true'] : []),
        ]
      : [];
    const cluster = await TestCluster.start({ extraArgs: ['--runtime', 'simulated', ...components], timeoutMs: 30_000 });
    const c = new KujiraUp(cluster, KubeClient.fromKubeconfig(cluster.kubeconfig, { userAgent: 'controllers-e2e' }));
    if (ownManager) {
      c.manager = startControllerManager({ client: c.client, options: opts.manager });
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
    this.client.close();
    await this.cluster.dispose();
  }

  kubectl(args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<KubectlResult> {
    return this.cluster.kubectl(args, { timeoutMs: 60_000, ...opts });
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
