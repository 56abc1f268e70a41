// Reads the parts of a kubeconfig file a client needs: the current context's
// server, CA, and credentials (bearer token or client certificate).
import { readFileSync } from 'node:fs';
import type { Duplex, Readable } from 'node:stream';
import { dirname, isAbsolute, resolve } from 'node:path';
import { createRequire } from 'node:module';

export interface ClientConfig {
  /** e.g. https://127.0.0.1:6443 */
  server: string;
  /** PEM CA bundle used to verify the server. Absent = system CAs. */
  ca?: string | Buffer;
  token?: string;
  cert?: string | Buffer;
  key?: string | Buffer;
  /** Skip server verification (kubeconfig `insecure-skip-tls-verify`). */
  insecureSkipTLSVerify?: boolean;
  /** Sent as User-Agent; also the default event source component. */
  userAgent?: string;
  /** Connections kept to the server for ordinary (non-watch) requests (default 64). */
  maxConnections?: number;
  /**
   * Opens a connection to the API server in this process (plain HTTP over an in-memory stream,
   * see apiserver/http/loopback.ts). When set, `server` is only a name and TLS settings are unused.
   */
  connect?: () => Duplex;
  /**
   * Hands each request to the API server in this process without any HTTP encoding (see
   * apiserver/http/loopback.ts, DirectLoopback); preferred over `connect` when both are set.
   */
  direct?: DirectTransport;
}

/** A response body from an in-process API server, read like an HTTP response's. */
export interface DirectResponse extends Readable {
  statusCode: number;
}

/** An in-process API server's entrance: resolves once the response's status is known. */
export interface DirectTransport {
  send(req: { method: string; path: string; headers: Record<string, string>; body?: string; signal?: AbortSignal }): Promise<DirectResponse>;
}

interface NamedEntry<T> {
  name: string;
  [key: string]: unknown;
  value?: T;
}

interface KubeconfigCluster {
  server?: string;
  'certificate-authority'?: string;
  'certificate-authority-data'?: string;
  'insecure-skip-tls-verify'?: boolean;
}

interface KubeconfigUser {
  token?: string;
  tokenFile?: string;
  'client-certificate'?: string;
  'client-certificate-data'?: string;
  'client-key'?: string;
  'client-key-data'?: string;
}

interface Kubeconfig {
  'current-context'?: string;
  clusters?: Array<NamedEntry<never> & { cluster?: KubeconfigCluster }>;
  users?: Array<NamedEntry<never> & { user?: KubeconfigUser }>;
  contexts?: Array<NamedEntry<never> & { context?: { cluster?: string; user?: string; namespace?: string } }>;
}

export function loadKubeconfig(path: string, contextName?: string): ClientConfig & { namespace?: string } {
  // Loaded on first use: the node agent never reads a kubeconfig and need not hold the YAML parser.
  const { parse } = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  const doc = parse(readFileSync(path, 'utf8')) as Kubeconfig;
  const base = dirname(path);
  const file = (p: string): Buffer => readFileSync(isAbsolute(p) ? p : resolve(base, p));
  const wanted = contextName ?? doc['current-context'];
  const ctx = doc.contexts?.find((c) => c.name === wanted)?.context;
  if (!ctx) throw new Error(`kubeconfig ${path}: context ${JSON.stringify(wanted)} not found`);
  const cluster = doc.clusters?.find((c) => c.name === ctx.cluster)?.cluster;
  if (!cluster?.server) throw new Error(`kubeconfig ${path}: cluster ${JSON.stringify(ctx.cluster)} has no server`);
  const user = doc.users?.find((u) => u.name === ctx.user)?.user ?? {};
  const config: ClientConfig & { namespace?: string } = { server: cluster.server };
  if (cluster['certificate-authority-data']) config.ca = Buffer.from(cluster['certificate-authority-data'], 'base64');
  else if (cluster['certificate-authority']) config.ca = file(cluster['certificate-authority']);
  if (cluster['insecure-skip-tls-verify']) config.insecureSkipTLSVerify = true;
  if (user.token) config.token = user.token;
  else if (user.tokenFile) config.token = file(user.tokenFile).toString('utf8').trim();
  if (user['client-certificate-data']) config.cert = Buffer.from(user['client-certificate-data'], 'base64');
  else if (user['client-certificate']) config.cert = file(user['client-certificate']);
  if (user['client-key-data']) config.key = Buffer.from(user['client-key-data'], 'base64');
  else if (user['client-key']) config.key = file(user['client-key']);
  if (ctx.namespace) config.namespace = ctx.namespace;
  return config;
}
