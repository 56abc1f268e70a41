// In-process components started by `kujira up` after the API server is ready. Each gets the admin
// API client configuration and reaches the cluster only through HTTPS. To add one (controllers,
// scheduler, simulated nodes, node agent), append an entry to `components()`:
//   { name: 'controllers', start: async (ctx) => startControllers(ctx.api, ctx.log.child('controllers')) }
import type { Logger } from '../api/log.js';
import type { FlagValues } from './flags.js';

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
}

export interface ComponentHandle {
  stop(): Promise<void>;
}

export interface Component {
  name: string;
  start(ctx: ClusterContext): Promise<ComponentHandle>;
}

export interface RunningComponent extends ComponentHandle {
  name: string;
}

export function components(): Component[] {
  return [];
}
