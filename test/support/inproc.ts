// An in-process cluster (the same composition root as `kujira up`) for black-box API tests that
// also need the store's hand (compaction) or many fast requests.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../src/api/log.js';
import { parseFlags } from '../../src/cmd/flags.js';
import { startCluster, upFlags, type Cluster } from '../../src/cmd/up.js';

export interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json<T = any>(): T; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export class InProcessCluster {
  private constructor(
    readonly cluster: Cluster,
    readonly dataDir: string,
    private readonly agent: Agent,
  ) {}

  /** The API server alone (no controllers, scheduler or nodes) unless `components: 'all'`. */
  static async start(extraArgs: string[] = [], components: 'all' | 'none' = 'none'): Promise<InProcessCluster> {
    const dataDir = await mkdtemp(join(tmpdir(), 'kujira-test-'));
    // Every flag at its default (as `kujira up` would parse them), with a private data dir and port.
    const { values } = parseFlags(upFlags, ['--data-dir', dataDir, '--port', '0', ...extraArgs]);
    const cluster = await startCluster(values, silentLogger, { components });
    const pki = join(dataDir, 'pki');
    const [ca, cert, key] = await Promise.all(['ca.crt', 'admin.crt', 'admin.key'].map((f) => readFile(join(pki, f), 'utf8')));
    const agent = new Agent({ ca, cert, key, keepAlive: true, maxSockets: 64 });
    return new InProcessCluster(cluster, dataDir, agent);
  }

  get url(): string {
    return this.cluster.api.url;
  }

  async stop(): Promise<void> {
    this.agent.destroy();
    await this.cluster.stop();
    await rm(this.dataDir, { recursive: true, force: true });
  }

  /** A request as the admin (client certificate), or anonymous with `anonymous: true`. */
  req(
    method: string,
    path: string,
    opts: { body?: unknown; raw?: string | Buffer; headers?: Record<string, string>; anonymous?: boolean; token?: string } = {},
  ): Promise<Response> {
    const u = new URL(path, this.url);
    const headers: Record<string, string> = { Accept: 'application/json', ...opts.headers };
    let payload: string | Buffer | undefined = opts.raw;
    if (opts.body !== undefined) payload = JSON.stringify(opts.body);
    if (payload !== undefined && !headers['Content-Type']) headers['Content-Type'] = 'application/json';
    if (payload !== undefined) headers['Content-Length'] = String(Buffer.byteLength(payload));
    if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
    const anonymousAgent = opts.anonymous || opts.token ? new Agent({ ca: this.cluster.context.api.caPem }) : undefined;
    return new Promise((resolve, reject) => {
      const r = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers, agent: anonymousAgent ?? this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          anonymousAgent?.destroy();
          const body = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) });
        });
      });
      r.on('error', reject);
      r.end(payload);
    });
  }

  /** Opens a watch; events are collected as they arrive. */
  watch(path: string, headers: Record<string, string> = {}): { events: any[]; status: Promise<number>; close(): void; ended: Promise<void> } { // eslint-disable-line @typescript-eslint/no-explicit-any
    const u = new URL(path, this.url);
    const events: unknown[] = [];
    let close = () => {};
    let endedResolve = () => {};
    const ended = new Promise<void>((r) => (endedResolve = r));
    const status = new Promise<number>((resolve, reject) => {
      const r = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: 'GET', headers: { Accept: 'application/json', ...headers }, agent: this.agent }, (res) => {
        resolve(res.statusCode ?? 0);
        let buf = '';
        res.on('data', (c: Buffer) => {
          buf += c.toString();
          let nl;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            if (line.trim()) events.push(JSON.parse(line));
          }
        });
        res.on('end', endedResolve);
        res.on('close', endedResolve);
      });
      r.on('error', (e) => {
        endedResolve();
        reject(e);
      });
      close = () => r.destroy();
      r.end();
    });
    return { events: events as any[], status, close: () => close(), ended }; // eslint-disable-line @typescript-eslint/no-explicit-any
  }
}
