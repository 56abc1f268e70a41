// In-process components started by `kujira up` after the API server is ready. Each gets the admin
// API client configuration and reaches the cluster only through the API (the in-process loopback
// connection: same handler and authentication as HTTPS, without TLS). To add one (controllers,
// scheduler, simulated nodes, node agent), append an entry to `components()`:
//   { name: 'controllers', start: async (ctx) => startControllers(ctx.api, ctx.log.child('controllers')) }
import type { Logger } from '../api/log.js';
import type { FlagValues } from './flags.js';
import type { MetricsPipeline } from '../autoscaling/metrics/pipeline.js';
import { EventRecorder, KubeClient, SharedInformerFactory, type DirectTransport } from '../client/index.js';
import { hostname } from 'node:os';
import type { Duplex } from 'node:stream';
import { join } from 'node:path';
import { parseDuration } from './flags.js';

/** How an in-process component reaches the API server as the cluster admin. */
export interface ApiClientConfig {
  /** e.g. https://127.0.0.1:6443 */
  server: string;
  /** PEM of the cluster CA that signed the serving certificate. */
  caPem: string;
  /** Bearer token of kujira-admin (system:masters). */
  token: string;
  /** Admin client certificate and key, PEM (an alternative to the token). */
  certPem: string;
  keyPem: string;
  /** In-process connection to the API server (no TLS); components use it when present. */
  connect?: () => Duplex;
  /** In-process entrance to the API server's handler (no HTTP encoding); preferred over `connect`. */
  direct?: DirectTransport;
}

export interface ClusterContext {
  api: ApiClientConfig;
  dataDir: string;
  /** Every `kujira up` flag, parsed (names as on the command line, e.g. flags['simulated-nodes']). */
  flags: FlagValues;
  log: Logger;
  kubeconfigPath: string;
  /** Token file (Kubernetes static token CSV) the API server authenticates bearer tokens against. */
  tokenFile: string;
  /**
   * Returns the bearer token of `user` (e.g. a node-join identity), creating it in the token file
   * when absent; the API server accepts it at once.
   */
  ensureToken(user: string, groups: string[]): Promise<string>;
}

export interface ComponentHandle {
  stop(): Promise<void>;
}

export interface Component {
  name: string;
  /** May run on the component thread (it needs nothing of the API server's thread but the API). */
  componentThread?: boolean;
  start(ctx: ClusterContext): Promise<ComponentHandle>;
}

export interface RunningComponent extends ComponentHandle {
  name: string;
}

/** Parts built before the API server listens and shared with components. */
export interface ComponentDeps {
  /** The metrics pipeline the API server serves metrics.k8s.io from (the metrics-scraper fills it). */
  metrics?: MetricsPipeline;
  /** Set by the node-agent component when the local node is real; simulated-nodes reads it. */
  localNode?: { real: boolean };
}

function adminClient(ctx: ClusterContext): KubeClient {
  return new KubeClient({ server: ctx.api.server, ca: ctx.api.caPem, token: ctx.api.token, connect: ctx.api.connect, direct: ctx.api.direct });
}

function durationFlag(ctx: ClusterContext, name: string): number {
  return parseDuration(String(ctx.flags[name]));
}

/**
 * How many simulated nodes to run: --simulated-nodes, or one when the local node is simulated
 * (`--runtime simulated`, or `auto` where containerd cannot run) so a new user always has a node.
 */
export function simulatedNodeCount(flags: FlagValues, localNodeIsReal: boolean): number {
  const n = Number(flags['simulated-nodes']);
  if (n > 0) return n;
  return localNodeIsReal ? 0 : 1;
}

/**
 * One client and one informer per resource for every in-process component: each pod event is
 * decoded once, not once per component. The factory stops when the last component using it stops.
 */
class SharedConnection {
  private current: { client: KubeClient; informers: SharedInformerFactory } | undefined;
  private users = 0;

  acquire(ctx: ClusterContext): { client: KubeClient; informers: SharedInformerFactory; release(): Promise<void> } {
    this.current ??= (() => {
      const client = adminClient(ctx);
      return { client, informers: new SharedInformerFactory(client, { onError: (err) => ctx.log.warn('informer error', { err: (err as Error).message }) }) };
    })();
    this.users++;
    const { client, informers } = this.current;
    let released = false;
    return {
      client,
      informers,
      release: async () => {
        if (released) return;
        released = true;
        if (--this.users === 0 && this.current) {
          const done = this.current;
          this.current = undefined;
          await done.informers.stop();
        }
      },
    };
  }
}

// Each component's code is imported when it starts: a thread (or a process) loads only the
// components it runs, which keeps the memory of `kujira up` and of the component thread small.
export function components(deps: ComponentDeps): Component[] {
  // Set by the node-agent component, read by simulated-nodes (which starts after it).
  const localNode = deps.localNode ?? { real: false };
  const shared = new SharedConnection();
  return [
    {
      name: 'controller-manager',
      componentThread: true,
      start: async (ctx) => {
        const { startControllerManager } = await import('../controllers/index.js');
        const conn = shared.acquire(ctx);
        const manager = startControllerManager({ client: conn.client, options: { factory: conn.informers, podGC: { terminatedPodThreshold: Number(ctx.flags['terminated-pod-gc-threshold']) } } });
        conn.informers.start();
        return { stop: () => manager.stop().finally(conn.release) };
      },
    },
    {
      name: 'scheduler',
      componentThread: true,
      start: async (ctx) => {
        const { startScheduler } = await import('../scheduler/index.js');
        const conn = shared.acquire(ctx);
        const scheduler = startScheduler({ client: conn.client, informers: conn.informers });
        conn.informers.start();
        return { stop: () => scheduler.stop().finally(conn.release) };
      },
    },
    {
      name: 'node-lifecycle-controller',
      componentThread: true,
      start: async (ctx) => {
        const { startNodeLifecycleController } = await import('../controllers/nodelifecycle/index.js');
        const conn = shared.acquire(ctx);
        const c = startNodeLifecycleController({
          client: conn.client,
          informers: conn.informers,
          options: { nodeMonitorGracePeriodMs: durationFlag(ctx, 'node-monitor-grace-period'), nodeMonitorPeriodMs: durationFlag(ctx, 'node-monitor-period') },
        });
        conn.informers.start();
        return { stop: () => c.stop().finally(conn.release) };
      },
    },
    {
      name: 'metrics-scraper',
      start: async (ctx) => {
        const metrics = deps.metrics;
        if (!metrics) throw new Error('the metrics scraper runs beside the API server that serves its metrics');
        metrics.start(adminClient(ctx));
        return { stop: () => metrics.stop() };
      },
    },
    {
      name: 'horizontal-pod-autoscaler',
      componentThread: true,
      start: async (ctx) => {
        const { startHorizontalPodAutoscaler } = await import('../controllers/podautoscaler/controller.js');
        const client = adminClient(ctx);
        const hpa = startHorizontalPodAutoscaler({
          client,
          events: new EventRecorder(client, { component: 'horizontal-pod-autoscaler' }),
          options: {
            syncPeriodMs: durationFlag(ctx, 'horizontal-pod-autoscaler-sync-period'),
            downscaleStabilizationMs: durationFlag(ctx, 'horizontal-pod-autoscaler-downscale-stabilization'),
          },
        });
        return { stop: () => hpa.stop() };
      },
    },
    {
      name: 'node-agent',
      start: async (ctx) => {
        const runtime = String(ctx.flags.runtime);
        if (runtime === 'simulated') return { stop: async () => {} };
        const { DEMO_IMAGE, detectContainerdSupport, ensureBuiltinImages, logRotationOptions, startNodeAgent } = await import('../node/agent/index.js');
        const { startNodeProxy } = await import('../proxy/node.js');
        const { writeServiceNetwork } = await import('../runtime/cri/containerd.js');
        const support = await detectContainerdSupport();
        if (!support.ok) {
          if (runtime === 'containerd') throw new Error(`--runtime containerd: ${support.why}`);
          ctx.log.info(`containerd cannot run here (${support.why}); the local node is simulated instead`);
          return { stop: async () => {} };
        }
        localNode.real = true;
        const serviceCIDR = String(ctx.flags['service-cluster-ip-range']);
        const nodeDir = join(ctx.dataDir, 'node');
        const starting = (async () => {
          // Pods get a route to the service CIDR (the proxy below DNATs it).
          await writeServiceNetwork(nodeDir, serviceCIDR);
          const agent = await startNodeAgent({
            client: adminClient(ctx),
            dataDir: nodeDir,
            nodeName: hostname().toLowerCase(),
            options: {
              clientCA: ctx.api.caPem, ipMasq: ctx.flags['pod-masquerade'] === true, log: (line) => ctx.log.info(line, { component: 'node-agent' }),
              ...logRotationOptions(String(ctx.flags['container-log-max-size']), Number(ctx.flags['container-log-max-files'])),
            },
          });
          try {
            await ensureBuiltinImages(agent.containerd.socket, agent.containerd.client, join(ctx.dataDir, 'node', 'images'), [DEMO_IMAGE]);
          } catch (err) {
            await agent.stop();
            throw err;
          }
          // kube-proxy beside the kubelet: cluster IPs and node ports reach pods on this machine.
          const proxy = await startNodeProxy({
            client: adminClient(ctx), nodeName: agent.nodeName, serviceCIDR, podCIDR: agent.containerd.subnet, bridge: agent.containerd.bridge,
            instance: nodeDir, log: (line) => ctx.log.info(line, { component: 'service-proxy' }),
          });
          return { agent, proxy };
        })();
        const stop = async () => {
          const started = await starting.catch(() => undefined);
          await started?.proxy?.stop();
          await started?.agent.stop();
        };
        // With --runtime containerd the user asked for a real node: failing to start one fails `kujira up`.
        // With auto the API is served at once and the node joins when containerd is up (about 2 s).
        if (runtime === 'containerd') {
          await starting;
          return { stop };
        }
        starting.catch((err: unknown) => ctx.log.error('the local node agent could not start', { err: (err as Error).message }));
        return { stop };
      },
    },
    {
      name: 'simulated-nodes',
      componentThread: true,
      start: async (ctx) => {
        const count = simulatedNodeCount(ctx.flags, localNode.real);
        if (count === 0) return { stop: async () => {} };
        const { startSimulatedNodes } = await import('../node/sim/index.js');
        const conn = shared.acquire(ctx);
        // A node must renew its Lease well within the grace period, or short test periods make it flap.
        const graceMs = durationFlag(ctx, 'node-monitor-grace-period');
        const nodes = startSimulatedNodes({
          client: conn.client,
          count,
          informers: conn.informers,
          options: { leaseRenewIntervalMs: Math.min(10_000, Math.floor(graceMs / 4)), startLatencyMs: durationFlag(ctx, 'simulated-start-latency') },
        });
        conn.informers.start();
        await nodes.ready;
        ctx.log.info('simulated nodes ready', { count, names: nodes.nodeNames.join(',') });
        return { stop: () => nodes.stop().finally(conn.release) };
      },
    },
  ];
}

/**
 * Filters components by a `--controllers` value, read as kube-controller-manager reads its flag:
 * "*" is every component, "name" adds one, "-name" removes one, and "" is none.
 */
export function enabledComponents(all: Component[], spec: string): Component[] {
  const names = new Set<string>();
  for (const raw of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (raw === '*') all.forEach((c) => names.add(c.name));
    else if (raw.startsWith('-')) names.delete(raw.slice(1));
    else names.add(raw);
  }
  const unknown = [...names].filter((n) => !all.some((c) => c.name === n));
  if (unknown.length) throw new Error(`unknown component(s) in --controllers: ${unknown.join(', ')}`);
  return all.filter((c) => names.has(c.name));
}
