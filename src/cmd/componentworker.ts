// Entry of the component thread (see componentthread.ts): builds a ClusterContext whose API
// client reaches the API server's thread over the transferred port, starts the named components
// in order, and stops them in reverse when asked.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { LogFields, Logger, LogLevel } from '../api/log.js';
import { PortTransport } from '../client/porttransport.js';
import { components, enabledComponents, type ClusterContext, type RunningComponent } from './components.js';
import type { ComponentThreadData, ThreadCommand, ThreadMessage } from './componentthread.js';

const data = workerData as ComponentThreadData & { port: MessagePort };
const parent = parentPort!;
const post = (m: ThreadMessage): void => parent.postMessage(m);

const rank: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
const minRank = data.debug ? 0 : 1;

/** Log lines go to the main thread's logger, under the same component names. */
function forwardingLogger(path: string[]): Logger {
  const emit = (level: LogLevel) => (msg: string, fields?: LogFields) => {
    if (rank[level] >= minRank) post({ t: 'log', level, path, msg, fields });
  };
  return {
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    child: (c) => forwardingLogger([...path, c]),
    isEnabled: (level) => rank[level] >= minRank,
  };
}

const transport = new PortTransport(data.port);
const context: ClusterContext = {
  api: { ...data.api, direct: transport },
  dataDir: data.dataDir,
  flags: data.flags,
  log: forwardingLogger([]),
  kubeconfigPath: data.kubeconfigPath,
  tokenFile: data.tokenFile,
  ensureToken: () => Promise.reject(new Error('tokens are issued on the API server thread')),
};

const running: RunningComponent[] = [];

async function stopAll(): Promise<void> {
  for (const c of running.reverse()) {
    try {
      await c.stop();
    } catch (err) {
      context.log.warn('component did not stop cleanly', { component: c.name, err: (err as Error).message });
    }
  }
  running.length = 0;
}

async function start(): Promise<void> {
  const all = components({ localNode: { real: data.localNodeIsReal } });
  try {
    for (const c of enabledComponents(all, data.names.join(','))) {
      const handle = await c.start(context);
      running.push({ name: c.name, stop: handle.stop });
      post({ t: 'started', name: c.name });
    }
  } catch (err) {
    await stopAll();
    post({ t: 'failed', message: (err as Error).message });
    return;
  }
  post({ t: 'ready' });
}

parent.on('message', (m: ThreadCommand) => {
  if (m.t !== 'stop') return;
  void stopAll().then(() => {
    transport.close();
    post({ t: 'stopped' });
    parent.close();
  });
});

void start();
