// `kujira up`: the composition root. It prepares the data dir (PKI, tokens, store), starts the API
// server, writes the admin kubeconfig, then starts every in-process component with an admin API
// client configuration. Components talk to the cluster only through the HTTPS API.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Logger } from '../api/log.js';
import { createAuthenticator } from '../apiserver/auth/authn.js';
import { ensureToken, readTokenFile, TokenAuthenticator } from '../apiserver/auth/tokens.js';
import { ensurePki } from '../apiserver/certs/pki.js';
import { builtinResources } from '../apiserver/registry/index.js';
import { DirectLoopback } from '../apiserver/http/loopback.js';
import { ApiServer, type RunningApiServer } from '../apiserver/server.js';
import type { Store } from '../storage/store.js';
import { openSqliteStore } from '../storage/sqlite/index.js';
import { patchEngine, schemaCatalog } from './api-parts.js';
import { startComponentThread } from './componentthread.js';
import { components, enabledComponents, type ClusterContext, type RunningComponent } from './components.js';
import type { FlagSpec, FlagValues } from './flags.js';
import { renderKubeconfig } from './kubeconfig.js';
import { parseDuration } from './flags.js';
import { parseIpv4Cidr, parsePortRange } from '../apiserver/services/ranges.js';
import { createMetricsPipeline } from '../autoscaling/metrics/pipeline.js';

/** `--component-thread auto` gives the components a thread of their own from this many simulated nodes. */
export const COMPONENT_THREAD_MIN_NODES = 100;

/** Whether the components that may run on a thread of their own do (see --component-thread). */
export function useComponentThread(flags: FlagValues): boolean {
  const v = String(flags['component-thread']);
  if (v === 'true') return true;
  if (v === 'false') return false;
  return Number(flags['simulated-nodes']) >= COMPONENT_THREAD_MIN_NODES;
}

export const upFlags: FlagSpec[] = [
  { name: 'data-dir', type: 'string', default: '~/.kujira', description: 'Directory holding everything the cluster keeps (store, certificates, kubeconfig)' },
  { name: 'address', type: 'string', default: '127.0.0.1', description: 'Address the API server listens on' },
  { name: 'port', type: 'int', default: 6443, description: 'HTTPS port of the API server (0 = any free port)' },
  { name: 'runtime', type: 'string', default: 'auto', choices: ['auto', 'containerd', 'simulated'], description: 'Container runtime of the local node' },
  { name: 'simulated-nodes', type: 'int', default: 0, description: 'Number of simulated nodes to run (with --runtime simulated, at least 1)' },
  { name: 'controllers', type: 'string', default: '*', description: 'In-process components to run: "*" for all, a name to add one, "-name" to leave one out, "" for none (API server only). Names: controller-manager, scheduler, node-lifecycle-controller, metrics-scraper, horizontal-pod-autoscaler, simulated-nodes, node-agent' },
  { name: 'component-thread', type: 'string', default: 'auto', choices: ['auto', 'true', 'false'], description: `Run the controllers, the scheduler and the simulated nodes on a thread of their own, beside the API server's: a second core for large clusters, for ~10 MB more memory (auto: when simulating ${COMPONENT_THREAD_MIN_NODES} nodes or more)` },
  { name: 'pod-masquerade', type: 'bool', default: false, description: "Let pods on this machine's real node reach other networks through NAT (off: pod traffic never leaves the machine)" },
  { name: 'container-log-max-size', type: 'string', default: '10Mi', description: "Size at which a container's log file on the real node is rotated (as the kubelet's flag)" },
  { name: 'container-log-max-files', type: 'int', default: 5, description: "Log files kept per container on the real node, the current one included (at least 2)" },
  { name: 'simulated-start-latency', type: 'duration', default: '100ms', description: 'Time from bound to containers running on simulated nodes, for pods without the sim.kujira.io/start-latency annotation' },
  { name: 'node-monitor-grace-period', type: 'duration', default: '40s', description: 'How long a node may go without renewing its Lease before it is marked NotReady (Ready=Unknown)' },
  { name: 'node-monitor-period', type: 'duration', default: '5s', description: 'How often the node lifecycle controller checks node health' },
  { name: 'default-not-ready-toleration-seconds', type: 'int', default: 300, description: 'tolerationSeconds of the not-ready:NoExecute toleration added to every pod that has none' },
  { name: 'default-unreachable-toleration-seconds', type: 'int', default: 300, description: 'tolerationSeconds of the unreachable:NoExecute toleration added to every pod that has none' },
  { name: 'terminated-pod-gc-threshold', type: 'int', default: 12500, description: 'Finished pods (Succeeded or Failed) kept before the oldest are deleted; 0 or less keeps them all' },
  { name: 'metric-resolution', type: 'duration', default: '15s', description: 'How often node usage is scraped for metrics.k8s.io (kubectl top, autoscaling)' },
  { name: 'horizontal-pod-autoscaler-sync-period', type: 'duration', default: '15s', description: 'How often each HorizontalPodAutoscaler is reconciled' },
  { name: 'service-cluster-ip-range', type: 'string', default: '10.96.0.0/12', description: 'IPv4 CIDR from which Services get their cluster IPs (the first address is the kubernetes Service\'s)' },
  { name: 'service-node-port-range', type: 'string', default: '30000-32767', description: 'Port range reserved for NodePort and LoadBalancer Services' },
  { name: 'horizontal-pod-autoscaler-downscale-stabilization', type: 'duration', default: '5m0s', description: 'How far back the autoscaler looks for a higher recommendation before scaling down' },
];

/** A start-up failure with the message the user sees; `kujira up` exits non-zero with it. */
export class StartupError extends Error {
  override name = 'StartupError';
}

export interface Cluster {
  api: RunningApiServer;
  /** The store, for in-process tests and benchmarks (components never touch it). */
  store: Store;
  context: ClusterContext;
  stop(): Promise<void>;
}

function expandHome(p: string): string {
  return p === '~' ? homedir() : p.startsWith('~/') ? join(homedir(), p.slice(2)) : p;
}

async function prepareDataDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const probe = join(dir, `.write-test-${process.pid}`);
    await writeFile(probe, '');
    await rm(probe);
  } catch (err) {
    throw new StartupError(`data dir ${dir} is not writable: ${(err as Error).message}`, { cause: err });
  }
}

export interface StartOptions {
  /** 'none' starts the API server alone, whatever --controllers says (API tests, benchmarks). */
  components?: 'all' | 'none';
  /** How often the `kubernetes` Service is reconciled (default 10 s, as kube-apiserver); tests shorten it. */
  kubernetesServiceReconcileMs?: number;
}

export async function startCluster(given: FlagValues, log: Logger, opts: StartOptions = {}): Promise<Cluster> {
  const t0 = performance.now();
  // Callers that embed a cluster (tests, benchmarks) name only the flags they care about.
  const flags: FlagValues = { ...Object.fromEntries(upFlags.map((f) => [f.name, f.default])), ...given };
  const dataDir = resolve(expandHome(String(flags['data-dir'])));
  const address = String(flags.address);
  const port = Number(flags.port);
  await prepareDataDir(dataDir);

  const pkiDir = join(dataDir, 'pki');
  let pki;
  try {
    pki = await ensurePki(pkiDir, [address]);
  } catch (err) {
    throw new StartupError(`cannot prepare certificates in ${pkiDir}: ${(err as Error).message}`, { cause: err });
  }
  const tokenFile = join(pkiDir, 'tokens.csv');
  const adminToken = await ensureToken(tokenFile, 'kujira-admin', ['system:masters']);
  const tokens = new TokenAuthenticator(await readTokenFile(tokenFile));

  const dbPath = join(dataDir, 'kujira.db');
  let store: Store;
  try {
    store = await openSqliteStore({ path: dbPath });
  } catch (err) {
    throw new StartupError(`cannot open the store: ${(err as Error).message}`, { cause: err });
  }

  const metrics = createMetricsPipeline({
    metricResolutionMs: parseDuration(String(flags['metric-resolution'])),
    // The node agent only answers callers holding a certificate from the cluster CA.
    kubeletClientCertificate: { cert: pki.kubeletClient.cert, key: pki.kubeletClient.key },
  });
  const resources = builtinResources({
    pods: {
      defaultTolerationSeconds: {
        notReadySeconds: Number(flags['default-not-ready-toleration-seconds']),
        unreachableSeconds: Number(flags['default-unreachable-toleration-seconds']),
      },
    },
  });
  const serviceNetwork = { clusterIPRange: String(flags['service-cluster-ip-range']), nodePortRange: String(flags['service-node-port-range']) };
  try {
    parseIpv4Cidr(serviceNetwork.clusterIPRange);
    parsePortRange(serviceNetwork.nodePortRange);
  } catch (err) {
    await store.close();
    throw new StartupError((err as Error).message, { cause: err });
  }
  const schema = schemaCatalog(resources);
  const applyPatch = patchEngine;
  const server = new ApiServer({
    store,
    resources,
    schema,
    applyPatch,
    authenticate: createAuthenticator(tokens),
    log: log.child('apiserver'),
    kubeletClient: pki.kubeletClient,
    extraApis: [metrics.api],
    serviceNetwork,
    kubernetesServiceReconcileMs: opts.kubernetesServiceReconcileMs,
  });
  let api: RunningApiServer;
  try {
    await server.start();
    api = await server.listen({ address, port, tls: { ca: pki.ca.cert, cert: pki.serving.cert, key: pki.serving.key } });
  } catch (err) {
    server.stop();
    await store.close();
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') throw new StartupError(`cannot listen on ${address}:${port}: address already in use`, { cause: err });
    if (e.code === 'EADDRNOTAVAIL') throw new StartupError(`cannot listen on ${address}:${port}: address not available on this machine`, { cause: err });
    if (e.code === 'EACCES') throw new StartupError(`cannot listen on ${address}:${port}: permission denied`, { cause: err });
    throw err;
  }

  const kubeconfigPath = join(dataDir, 'kubeconfig');
  await writeFile(kubeconfigPath, renderKubeconfig({ server: api.url, caPem: pki.ca.cert, clientCertPem: pki.admin.cert, clientKeyPem: pki.admin.key }), { mode: 0o600 });

  // In-process components hand their requests straight to the API server's handler: no TLS, no HTTP bytes.
  const loopback = new DirectLoopback(server.handle);
  const context: ClusterContext = {
    api: { server: api.url, caPem: pki.ca.cert, token: adminToken, certPem: pki.admin.cert, keyPem: pki.admin.key, direct: loopback },
    dataDir,
    flags,
    log,
    kubeconfigPath,
    tokenFile,
    ensureToken: async (user, groups) => {
      const token = await ensureToken(tokenFile, user, groups);
      tokens.reload(await readTokenFile(tokenFile));
      return token;
    },
  };
  const running: RunningComponent[] = [];
  const localNode = { real: false };
  const stop = async () => {
    for (const c of running.reverse()) {
      try {
        await c.stop();
      } catch (err) {
        log.warn('component did not stop cleanly', { component: c.name, err: (err as Error).message });
      }
    }
    loopback.close();
    await api.close();
    await store.close();
  };
  try {
    const enabled = opts.components === 'none' ? [] : enabledComponents(components({ metrics, localNode }), String(flags.controllers));
    const threaded = useComponentThread(flags) ? enabled.filter((c) => c.componentThread) : [];
    // Those staying beside the API server start first: the node agent decides whether the
    // simulated nodes need a local one.
    for (const c of enabled.filter((c) => !threaded.includes(c))) {
      const handle = await c.start(context);
      running.push({ name: c.name, stop: handle.stop });
      log.info('component started', { component: c.name });
    }
    if (threaded.length > 0) {
      const thread = await startComponentThread({ names: threaded.map((c) => c.name), context, loopback, localNodeIsReal: localNode.real });
      running.push({ name: 'component-thread', stop: thread.stop });
    }
  } catch (err) {
    await stop();
    throw new StartupError(`cannot start components: ${(err as Error).message}`, { cause: err });
  }
  log.info('cluster up', { url: api.url, dataDir, ms: (performance.now() - t0).toFixed(0) });
  return { api, store, context, stop };
}
