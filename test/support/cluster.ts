// Test harness: runs the real `kujira up` as a child process on a free port with its own data
// dir, and drives it with the real kubectl (KUBECONFIG pointing at the data dir) or raw HTTPS.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** dist/test/support → repository root */
export const repoRoot = join(here, '..', '..', '..');
export const kujiraBin = join(repoRoot, 'bin', 'kujira');

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json<T = Record<string, unknown>>(): T;
}

export interface StartOptions {
  dataDir?: string;
  extraArgs?: string[];
  /** Milliseconds to wait for the ready line. */
  timeoutMs?: number;
  /** Remove the data dir on dispose (default: only when the harness made it). */
  ownsDir?: boolean;
  /** Script and leading arguments to run instead of `bin/kujira up` (it must print the same ready line). */
  command?: string[];
}

export class TestCluster {
  private constructor(
    readonly dataDir: string,
    readonly ownsDir: boolean,
    private child: ChildProcess,
    readonly url: string,
    readonly readyMs: number,
    readonly logs: { stdout: string; stderr: string },
  ) {}

  get kubeconfig(): string {
    return join(this.dataDir, 'kubeconfig');
  }

  get pid(): number {
    return this.child.pid!;
  }

  static async start(opts: StartOptions = {}): Promise<TestCluster> {
    const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'kujira-test-')));
    const t0 = performance.now();
    // `kujira up` runs the API server alone unless a test asks for components (--controllers=*).
    const command = opts.command ?? [kujiraBin, 'up', '--controllers='];
    const child = spawn(process.execPath, [...childNodeArgs(), ...command, '--data-dir', dataDir, '--port', '0', ...(opts.extraArgs ?? [])], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const logs = { stdout: '', stderr: '' };
    child.stdout!.on('data', (c: Buffer) => (logs.stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (logs.stderr += c.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`kujira up not ready in time\n${logs.stderr}`)), opts.timeoutMs ?? 20_000);
      const check = () => {
        const m = /ready at (https:\/\/\S+?);/.exec(logs.stdout);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      };
      child.stdout!.on('data', check);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`kujira up exited with ${code}\n${logs.stderr}`));
      });
    });
    return new TestCluster(dataDir, opts.ownsDir ?? opts.dataDir === undefined, child, url, performance.now() - t0, logs);
  }

  /** SIGTERM (or `signal`) and wait for a clean exit; returns the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    const exited = new Promise<number | null>((resolve) => this.child.once('exit', (code) => resolve(code)));
    this.child.kill(signal);
    return exited;
  }

  /** kill -9, no clean-up. */
  async kill9(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGKILL');
    await exited;
  }

  /** Stops the server and removes the data dir if the harness made it. */
  async dispose(signal?: NodeJS.Signals): Promise<void> {
    await this.stop(signal);
    if (this.ownsDir) await rm(this.dataDir, { recursive: true, force: true });
  }

  kubectl(args: string[], opts: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<KubectlResult> {
    return new Promise((resolve) => {
      const child = execFile(
        'kubectl',
        args,
        { env: { ...process.env, KUBECONFIG: this.kubeconfig, ...opts.env }, timeout: opts.timeoutMs ?? 30_000, maxBuffer: 64 * 1024 * 1024 },
        (err, stdout, stderr) => {
          const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
      if (opts.input !== undefined) child.stdin!.end(opts.input);
    });
  }

  /** kubectl that must succeed; returns stdout. */
  async k(args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<string> {
    const r = await this.kubectl(args, opts);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  }

  /** Starts a long-running kubectl (e.g. get -w); output accumulates in `out()`. */
  kubectlBackground(args: string[]): { out(): string; stop(): Promise<void> } {
    const child = spawn('kubectl', args, { env: { ...process.env, KUBECONFIG: this.kubeconfig }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    return {
      out: () => out,
      stop: () =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    };
  }

  async credentials(): Promise<{ ca: string; cert: string; key: string; token: string }> {
    const pki = join(this.dataDir, 'pki');
    const [ca, cert, key, tokens] = await Promise.all([
      readFile(join(pki, 'ca.crt'), 'utf8'),
      readFile(join(pki, 'admin.crt'), 'utf8'),
      readFile(join(pki, 'admin.key'), 'utf8'),
      readFile(join(pki, 'tokens.csv'), 'utf8'),
    ]);
    const token = tokens.split('\n').find((l) => l.includes(',kujira-admin,'))!.split(',')[0];
    return { ca, cert, key, token };
  }

  /** One HTTPS request; `auth` picks the admin client certificate, the admin token, or none. */
  async http(
    method: string,
    path: string,
    opts: { body?: string | Buffer; headers?: Record<string, string>; auth?: 'cert' | 'token' | 'none' } = {},
  ): Promise<HttpResult> {
    const creds = await this.credentials();
    const u = new URL(path, this.url);
    const auth = opts.auth ?? 'cert';
    const headers: Record<string, string> = { Accept: 'application/json', ...opts.headers };
    if (auth === 'token') headers.Authorization = `Bearer ${creds.token}`;
    if (opts.body !== undefined && !headers['Content-Type']) headers['Content-Type'] = 'application/json';
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: u.hostname,
          port: u.port,
          path: u.pathname + u.search,
          method,
          headers,
          ca: creds.ca,
          ...(auth === 'cert' ? { cert: creds.cert, key: creds.key } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const body = Buffer.concat(chunks).toString('utf8');
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: <T>() => JSON.parse(body) as T });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(opts.body);
    });
  }
}

/** Polls `check` until it returns a truthy value or the deadline passes. */
export async function eventually<T>(
  check: () => T | undefined | false | null | Promise<T | undefined | false | null>,
  what: string,
  timeoutMs = 20_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** `eventually` with the description first, as the node agent scenarios read best; polls every 150 ms. */
export function until<T>(what: string, check: () => Promise<T | undefined | false | null>, timeoutMs = 60_000): Promise<T> {
  return eventually(check, what, timeoutMs, 150);
}

/** Runs a command, resolving with its exit code and output (for `kujira up` failure cases). */
export function runKujira(args: string[], timeoutMs = 20_000): Promise<KubectlResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [kujiraBin, ...args], { timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export const seedDir = '/work/shared/seed';

/** Extra node flags for the spawned server (e.g. KUJIRA_CHILD_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/p' to profile a bench). */
export function childNodeArgs(): string[] {
  return (process.env.KUJIRA_CHILD_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
}

/** A plain HTTP GET (to a pod or host port): status and body as text. */
export function httpGet(url: string, timeoutMs = 5000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { timeout: timeoutMs }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}
