// The component thread: controllers, scheduler and simulated nodes run on a worker thread of their
// own, so they use the machine's second core instead of sharing one with the API server. They reach
// the API exactly as on the main thread — the in-process entrance (DirectLoopback) with the admin
// token — only the requests and response bodies cross a MessagePort (apiserver/http/portserver.ts,
// client/porttransport.ts). Components never share memory with the API server either way.
import { MessageChannel, Worker } from 'node:worker_threads';
import type { LogFields, Logger, LogLevel } from '../api/log.js';
import type { DirectLoopback } from '../apiserver/http/loopback.js';
import { PortServer } from '../apiserver/http/portserver.js';
import type { ClusterContext } from './components.js';
import type { FlagValues } from './flags.js';

/** What the worker needs to build its ClusterContext (all of it structured-cloneable). */
export interface ComponentThreadData {
  names: string[];
  flags: FlagValues;
  api: { server: string; caPem: string; token: string; certPem: string; keyPem: string };
  dataDir: string;
  kubeconfigPath: string;
  tokenFile: string;
  localNodeIsReal: boolean;
  debug: boolean;
}

/** Worker → main control messages (the API traffic has its own port). */
export type ThreadMessage =
  | { t: 'log'; level: LogLevel; path: string[]; msg: string; fields?: LogFields }
  | { t: 'started'; name: string }
  | { t: 'ready' }
  | { t: 'failed'; message: string }
  | { t: 'stopped' };

/** Main → worker. */
export type ThreadCommand = { t: 'stop' };

const STOP_TIMEOUT_MS = 30_000;

export interface ComponentThread {
  stop(): Promise<void>;
}

/**
 * Starts `names` (in order) on the component thread; resolves once each has started, rejects with
 * the first failure. A crash of the thread afterwards crashes the process, as it would have on the
 * main thread.
 */
export function startComponentThread(opts: {
  names: string[];
  context: ClusterContext;
  loopback: DirectLoopback;
  localNodeIsReal: boolean;
}): Promise<ComponentThread> {
  const { context: ctx } = opts;
  const channel = new MessageChannel();
  const server = new PortServer(channel.port1, opts.loopback);
  const data: ComponentThreadData = {
    names: opts.names,
    flags: ctx.flags,
    api: { server: ctx.api.server, caPem: ctx.api.caPem, token: ctx.api.token, certPem: ctx.api.certPem, keyPem: ctx.api.keyPem },
    dataDir: ctx.dataDir,
    kubeconfigPath: ctx.kubeconfigPath,
    tokenFile: ctx.tokenFile,
    localNodeIsReal: opts.localNodeIsReal,
    debug: ctx.log.isEnabled?.('debug') ?? false,
  };
  const worker = new Worker(new URL('./componentworker.js', import.meta.url), {
    workerData: { ...data, port: channel.port2 },
    transferList: [channel.port2],
    // Its logs come as messages; anything else it prints goes to this process's streams.
    stdout: false,
    stderr: false,
  });
  const loggers = new Map<string, Logger>();
  const loggerFor = (path: string[]): Logger => {
    const key = path.join('/');
    let l = loggers.get(key);
    if (!l) {
      l = path.reduce((acc, c) => acc.child(c), ctx.log);
      loggers.set(key, l);
    }
    return l;
  };

  let ready = false;
  let stopping = false;
  let stopped: (() => void) | undefined;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));

  return new Promise<ComponentThread>((resolve, reject) => {
    const fail = (err: Error): void => {
      server.close();
      void worker.terminate();
      reject(err);
    };
    worker.on('message', (m: ThreadMessage) => {
      switch (m.t) {
        case 'log':
          loggerFor(m.path)[m.level](m.msg, m.fields);
          return;
        case 'started':
          ctx.log.info('component started', { component: m.name, thread: 'components' });
          return;
        case 'ready':
          ready = true;
          resolve({
            stop: async () => {
              if (stopping) return exited;
              stopping = true;
              const done = new Promise<void>((r) => (stopped = r));
              worker.postMessage({ t: 'stop' } satisfies ThreadCommand);
              let timer: NodeJS.Timeout | undefined;
              const timeout = new Promise<void>((r) => {
                timer = setTimeout(() => {
                  ctx.log.warn('the component thread did not stop in time; ending it');
                  r();
                }, STOP_TIMEOUT_MS);
              });
              await Promise.race([done, exited, timeout]);
              clearTimeout(timer);
              server.close();
              await worker.terminate();
            },
          });
          return;
        case 'failed':
          fail(new Error(m.message));
          return;
        case 'stopped':
          stopped?.();
          return;
      }
    });
    let crashed = false;
    // As an uncaught exception in a component on the main thread: the process goes down with it.
    const crash = (err: Error): void => {
      if (crashed || stopping) return;
      crashed = true;
      ctx.log.error('the component thread crashed', { err: err.message });
      setImmediate(() => {
        throw err;
      });
    };
    worker.on('error', (err) => {
      if (!ready) return fail(err);
      crash(err);
    });
    worker.once('exit', (code) => {
      server.close();
      if (!ready) reject(new Error(`the component thread exited (code ${code}) before its components started`));
      else crash(new Error(`the component thread exited (code ${code}) while its components were running`));
    });
  });
}
