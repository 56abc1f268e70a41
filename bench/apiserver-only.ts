// `kujira up` without its in-process components (controllers, scheduler, nodes): the API server and
// store alone, so bench/api.ts measures the API and not the reactions of controllers to its writes.
// Same flags and ready line as `kujira up`.
import { createLogger } from '../src/api/log.js';
import { parseFlags } from '../src/cmd/flags.js';
import { startCluster, upFlags } from '../src/cmd/up.js';

const { values } = parseFlags(upFlags, process.argv.slice(2));
const cluster = await startCluster(values, createLogger('kujira', { level: 'warn' }), { components: 'none' });
process.stdout.write(`kujira: API server ready at ${cluster.api.url}; use it with: export KUBECONFIG=${cluster.context.kubeconfigPath}\n`);
const stop = () => void cluster.stop().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
