// The `kujira` CLI.
import { createLogger } from '../api/log.js';
import { FlagError, helpText, parseFlags } from './flags.js';


const USAGE = `kujira: a small Kubernetes-compatible orchestrator

Usage:
  kujira up [flags]            Start a cluster (API server and its components) in the foreground
  kujira agent [flags]         Join this machine to a cluster as a node (containerd)
  kujira image import FILE     Load an OCI or docker image archive into the local node's image store
  kujira help                  Show this help

Run 'kujira up --help' or 'kujira agent --help' for their flags.
`;

async function up(argv: string[]): Promise<number> {
  // Each command loads only its own modules: `kujira agent` needs no API server, and vice versa.
  const { StartupError, startCluster, upFlags } = await import('./up.js');
  let parsed;
  try {
    parsed = parseFlags(upFlags, argv);
  } catch (err) {
    if (err instanceof FlagError) {
      process.stderr.write(`kujira up: ${err.message}\nRun 'kujira up --help' for usage.\n`);
      return 2;
    }
    throw err;
  }
  if (parsed.help) {
    process.stdout.write(helpText('up', 'Starts a cluster in the foreground: the API server with its embedded store, then its components.', upFlags));
    return 0;
  }
  const log = createLogger('kujira', { level: process.env.KUJIRA_LOG_LEVEL === 'debug' ? 'debug' : 'info' });
  let cluster;
  try {
    cluster = await startCluster(parsed.values, log);
  } catch (err) {
    if (err instanceof StartupError) {
      process.stderr.write(`kujira up: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  process.stdout.write(`kujira: API server ready at ${cluster.api.url}; use it with: export KUBECONFIG=${cluster.context.kubeconfigPath}\n`);
  await new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (sig: NodeJS.Signals) => {
      if (stopping) {
        // A second Ctrl-C does not wait for a clean stop.
        log.warn('stopping now without waiting', { signal: sig });
        process.exit(130);
      }
      stopping = true;
      log.info('shutting down', { signal: sig });
      cluster.stop().then(
        () => {
          log.info('stopped');
          resolve();
        },
        (err: unknown) => {
          log.error('shutdown failed', { err: (err as Error).message });
          resolve();
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'up':
      return up(rest);
    case 'agent':
      return (await import('./agent.js')).agent(rest);
    case 'image':
      return (await import('./agent.js')).image(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return cmd === undefined ? 2 : 0;
    default:
      process.stderr.write(`kujira: unknown command "${cmd}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`kujira: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);
