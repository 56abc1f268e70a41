// What the node agent's end-to-end files share: `kujira up` (simulated runtime, so it runs no agent of its own) in
// this process, our agent joined to it against a real containerd, and the real kubectl pointed at it.
// Needs root and the Debian packages (containerd runc containernetworking-plugins busybox-static iptables);
// fails, never skips, without them.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { core } from '../../src/api/types.js';
import { silentLogger } from '../../src/api/log.js';
import { KubeClient } from '../../src/client/client.js';
import { PODS } from '../../src/client/resources.js';
import { startCluster, type Cluster } from '../../src/cmd/up.js';
import { detectContainerdSupport, DEMO_IMAGE, startNodeAgent, type NodeAgent, type NodeAgentOptions } from '../../src/node/agent/index.js';
import { ensureBuiltinImages } from '../../src/runtime/cri/images.js';
import { httpGet, until } from '../support/cluster.js';

export { httpGet };

export { DEMO_IMAGE, until };

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface AgentHarness {
  dir: string;
  nodeName: string;
  agent: NodeAgent;
  client: KubeClient;
  /** kubectl with the cluster's kubeconfig; never throws. */
  kubectl(args: string[], input?: string): Promise<CommandResult>;
  /** kubectl that must succeed: its stdout. */
  k(args: string[]): Promise<string>;
  /** A long-running kubectl (get -w, logs -f); output accumulates in out(). */
  background(args: string[]): { out(): string; stop(): Promise<void> };
  /** Creates a pod bound to the agent's node. */
  apply(pod: core.Pod): Promise<void>;
  getPod(name: string): Promise<core.Pod>;
  /** "Reason: message" of every event about the named object. */
  eventsOf(name: string): Promise<string[]>;
  stop(): Promise<void>;
}

/** KUJIRA_E2E_AGENT_LOG=1 prints the agent's own log lines. */
const agentLog = process.env.KUJIRA_E2E_AGENT_LOG ? (line: string) => console.error(`[agent] ${line}`) : () => {};

export async function startAgentHarness(prefix: string, nodeName: string, options: NodeAgentOptions = {}): Promise<AgentHarness> {
  const support = await detectContainerdSupport();
  if (!support.ok) throw new Error(`the node agent e2e tests need containerd: ${support.why}`);
  const dir = await mkdtemp(join(tmpdir(), prefix));
  let cluster: Cluster | undefined;
  let agent: NodeAgent | undefined;
  try {
    cluster = await startCluster({ 'data-dir': join(dir, 'cluster'), address: '127.0.0.1', port: 0, runtime: 'simulated', 'simulated-nodes': 0 }, silentLogger);
    const api = cluster.context.api;
    const client = new KubeClient({ server: api.server, ca: api.caPem, token: api.token });
    agent = await startNodeAgent({ client, dataDir: join(dir, 'node'), nodeName, options: { clientCA: api.caPem, relistIntervalMs: 300, log: agentLog, ...options } });
    await ensureBuiltinImages(agent.containerd.socket, agent.containerd.client, null, [DEMO_IMAGE]);
    const kubeconfig = cluster.context.kubeconfigPath;
    const env = { ...process.env, KUBECONFIG: kubeconfig };
    const kubectl = (args: string[], input?: string) => new Promise<CommandResult>((resolve) => {
      const child = spawn('kubectl', args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('close', (code) => { clearTimeout(timer); resolve({ code: code ?? -1, stdout, stderr }); });
      child.stdin.end(input ?? '');
    });
    const k = async (args: string[]) => {
      const r = await kubectl(args);
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
      return r.stdout;
    };
    const running = cluster;
    const runningAgent = agent;
    return {
      dir, nodeName, agent, client, kubectl, k,
      background(args) {
        const child = spawn('kubectl', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (c: Buffer) => (out += c.toString()));
        child.stderr.on('data', (c: Buffer) => (out += c.toString()));
        return {
          out: () => out,
          stop: () => new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
        };
      },
      async apply(pod) {
        const file = join(dir, `${pod.metadata?.name}.json`);
        await writeFile(file, JSON.stringify({ apiVersion: 'v1', kind: 'Pod', ...pod, spec: { nodeName, ...pod.spec } }));
        // --validate=false: the API server does not serve the OpenAPI document kubectl validates against yet.
        await k(['apply', '--validate=false', '-f', file]);
      },
      getPod: (name) => client.resource(PODS).get('default', name),
      async eventsOf(name) {
        const out = await k(['get', 'events', '--field-selector', `involvedObject.name=${name}`, '-o', 'json']);
        return (JSON.parse(out) as { items: core.Event[] }).items.map((e) => `${e.reason}: ${e.message}`);
      },
      async stop() {
        await runningAgent.stop().catch((err: Error) => console.error('agent stop:', err.message));
        await running.stop().catch(() => {});
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await agent?.stop().catch(() => {});
    await cluster?.stop().catch(() => {});
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

