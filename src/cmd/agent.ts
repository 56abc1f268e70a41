// `kujira agent` (join a cluster as a node) and `kujira image import` (load an image archive).
// The node agent's modules are loaded only once its heap is set up (see agentHeap).
import { readFile } from 'node:fs/promises';
import { homedir, hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import type { NodeAgent } from '../node/agent/index.js';
import type { ServiceProxy } from '../proxy/proxier.js';
import { parseIpv4Cidr } from '../apiserver/services/ranges.js';
import { FlagError, helpText, parseFlags, type FlagSpec } from './flags.js';

export const agentFlags: FlagSpec[] = [
  { name: 'server', type: 'string', default: '', description: 'URL of the API server to join, e.g. https://10.0.0.1:6443' },
  { name: 'token', type: 'string', default: '', description: "Bearer token the API server accepts (a line of the server's <data-dir>/pki/tokens.csv)" },
  { name: 'ca-file', type: 'string', default: '', description: "The cluster CA (the server's <data-dir>/pki/ca.crt); without it the server's certificate is not verified" },
  { name: 'name', type: 'string', default: '', description: "Node name (default: this machine's hostname)" },
  { name: 'service-cluster-ip-range', type: 'string', default: '10.96.0.0/12', description: "The cluster's service CIDR (the server's --service-cluster-ip-range): pods get a route to it and the node's service proxy serves it" },
  { name: 'pod-masquerade', type: 'bool', default: false, description: 'Let pods reach other networks through NAT (off: pod traffic never leaves this machine)' },
  { name: 'container-log-max-size', type: 'string', default: '10Mi', description: "Size at which a container's log file is rotated (as the kubelet's flag)" },
  { name: 'container-log-max-files', type: 'int', default: 5, description: 'Log files kept per container, the current one included (at least 2)' },
  { name: 'data-dir', type: 'string', default: '~/.kujira-agent', description: 'Directory for the node: containerd state, pod volumes, logs' },
];

/**
 * V8 settings for the agent process: a long-lived daemon that keeps little, mostly waits, and whose hot
 * paths (JSON, TLS, HTTP parsing) are native code. Each was measured with bench/pods (docs/benchmarks.md):
 * - young generation kept at its starting size (1 MB semi-spaces): V8 otherwise grows it towards
 *   2 × 16 MB as soon as objects survive a scavenge and keeps it, ~28 MB of the agent's RSS;
 * - --optimize-for-size: V8's memory-saving heuristics, ~3 MB less with 60 pods;
 * - --no-opt: no TurboFan. Its compile jobs run on background threads whose C heaps keep what the
 *   compiler allocated; without it the agent stayed ~12 MB smaller, with no measurable change in its
 *   CPU time (it spends it in native code).
 * These take effect when set at run time (unlike --max-semi-space-size or --max-old-space-size, which V8
 * reads once, when the heap is created), provided they are set before the young generation has grown and
 * code has warmed up: so before the agent's modules are loaded. Flags that change V8's threading
 * (e.g. --single-threaded-gc) must not be set this way: V8 aborts.
 */
export const AGENT_V8_FLAGS = ['--semi-space-growth-factor=1', '--optimize-for-size', '--no-opt'];

function agentHeap(): void {
  for (const flag of AGENT_V8_FLAGS) setFlagsFromString(flag);
}

function expandHome(p: string): string {
  return p === '~' ? homedir() : p.startsWith('~/') ? join(homedir(), p.slice(2)) : p;
}

export async function agent(argv: string[]): Promise<number> {
  let values;
  try {
    const parsed = parseFlags(agentFlags, argv);
    if (parsed.help) {
      process.stdout.write(helpText('agent', 'Joins this machine to a kujira cluster as a node running pods through containerd.', agentFlags));
      return 0;
    }
    values = parsed.values;
    if (!values.server) throw new FlagError('--server is required');
    if (!values.token) throw new FlagError('--token is required');
    try {
      parseIpv4Cidr(String(values['service-cluster-ip-range']));
    } catch (err) {
      throw new FlagError((err as Error).message);
    }
  } catch (err) {
    if (err instanceof FlagError) {
      process.stderr.write(`kujira agent: ${err.message}\nRun 'kujira agent --help' for usage.\n`);
      return 2;
    }
    throw err;
  }
  const caFile = String(values['ca-file']);
  let caPem: string | undefined;
  if (caFile) {
    try {
      caPem = await readFile(caFile, 'utf8');
    } catch (err) {
      process.stderr.write(`kujira agent: cannot read --ca-file ${caFile}: ${(err as Error).message}\n`);
      return 1;
    }
  }
  const nodeName = String(values.name) || hostname().toLowerCase();
  const dataDir = resolve(expandHome(String(values['data-dir'])));
  agentHeap();
  const { AGENT_API_CONNECTIONS, DEMO_IMAGE, ensureBuiltinImages, joinCluster, logRotationOptions, startHeapTrimmer } = await import('../node/agent/index.js');
  const { KubeClient } = await import('../client/index.js');
  const { writeServiceNetwork } = await import('../runtime/cri/containerd.js');
  const { startNodeProxy } = await import('../proxy/node.js');
  const serviceCIDR = String(values['service-cluster-ip-range']);
  let node: NodeAgent | undefined;
  let proxy: ServiceProxy | undefined;
  try {
    await writeServiceNetwork(dataDir, serviceCIDR);
    const client = new KubeClient({ server: String(values.server), token: String(values.token), ca: caPem, insecureSkipTLSVerify: !caPem, userAgent: `kujira-agent/${nodeName}`, maxConnections: AGENT_API_CONNECTIONS });
    node = await joinCluster({ server: String(values.server), token: String(values.token), nodeName, dataDir, caPem, client, options: {
      ipMasq: values['pod-masquerade'] === true,
      ...logRotationOptions(String(values['container-log-max-size']), Number(values['container-log-max-files'])),
    } });
    // Every kujira node has the demo image, as `kujira up`'s own node does.
    await ensureBuiltinImages(node.containerd.socket, node.containerd.client, join(dataDir, 'images'), [DEMO_IMAGE]).catch(async (err: unknown) => {
      await node?.stop();
      throw err;
    });
    // kube-proxy beside the kubelet, as on `kujira up`'s own node; one API client (and connection pool) for both.
    proxy = await startNodeProxy({
      client, nodeName, serviceCIDR, podCIDR: node.containerd.subnet, bridge: node.containerd.bridge, instance: dataDir,
      log: (line) => process.stderr.write(`[service-proxy ${nodeName}] ${line}\n`),
    });
  } catch (err) {
    process.stderr.write(`kujira agent: cannot join ${String(values.server)}: ${(err as Error).message}\n`);
    return 1;
  }
  process.stdout.write(`kujira: node ${nodeName} joined ${String(values.server)}\n`);
  const joined = node;
  // The agent is this process's only tenant: after a burst of pods, its heap is compacted back to what is live.
  const heapTrimmer = startHeapTrimmer(() => joined.busy());
  await new Promise<void>((done) => {
    const onSignal = () => void (proxy?.stop() ?? Promise.resolve()).catch(() => {}).then(() => joined.stop()).finally(() => { heapTrimmer.stop(); done(); });
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  return 0;
}

export async function image(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'import' || rest.length === 0 || rest[0].startsWith('-') && rest[0] !== '--data-dir') {
    process.stderr.write('Usage: kujira image import FILE [--data-dir DIR]\n  Loads an OCI or docker image archive into the node run by `kujira up --data-dir DIR` (default ~/.kujira).\n');
    return 2;
  }
  let dataDir = '~/.kujira';
  const files: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '--data-dir') dataDir = rest[++i] ?? dataDir;
    else if (rest[i].startsWith('--data-dir=')) dataDir = rest[i].slice('--data-dir='.length);
    else files.push(rest[i]);
  }
  const socket = join(resolve(expandHome(dataDir)), 'node', 'containerd', 'containerd.sock');
  const { importImageArchive } = await import('../node/agent/index.js');
  try {
    for (const file of files) {
      const names = await importImageArchive(socket, file);
      process.stdout.write(`imported ${names.join(', ') || file}\n`);
    }
  } catch (err) {
    process.stderr.write(`kujira image import: ${(err as Error).message}\n`);
    return 1;
  }
  return 0;
}
