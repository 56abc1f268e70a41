// `kujira agent` (join a cluster as a node) and `kujira image import` (load an image archive).
import { readFile } from 'node:fs/promises';
import { homedir, hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { DEMO_IMAGE, ensureBuiltinImages, importImageArchive, joinCluster, logRotationOptions } from '../node/agent/index.js';
import { FlagError, helpText, parseFlags, type FlagSpec } from './flags.js';

export const agentFlags: FlagSpec[] = [
  { name: 'server', type: 'string', default: '', description: 'URL of the API server to join, e.g. https://10.0.0.1:6443' },
  { name: 'token', type: 'string', default: '', description: "Bearer token the API server accepts (a line of the server's <data-dir>/pki/tokens.csv)" },
  { name: 'ca-file', type: 'string', default: '', description: "The cluster CA (the server's <data-dir>/pki/ca.crt); without it the server's certificate is not verified" },
  { name: 'name', type: 'string', default: '', description: "Node name (default: this machine's hostname)" },
  { name: 'pod-masquerade', type: 'bool', default: false, description: 'Let pods reach other networks through NAT (off: pod traffic never leaves this machine)' },
  { name: 'container-log-max-size', type: 'string', default: '10Mi', description: "Size at which a container's log file is rotated (as the kubelet's flag)" },
  { name: 'container-log-max-files', type: 'int', default: 5, description: 'Log files kept per container, the current one included (at least 2)' },
  { name: 'data-dir', type: 'string', default: '~/.kujira-agent', description: 'Directory for the node: containerd state, pod volumes, logs' },
];

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
  let node: Awaited<ReturnType<typeof joinCluster>> | undefined;
  try {
    node = await joinCluster({ server: String(values.server), token: String(values.token), nodeName, dataDir, caPem, options: {
      ipMasq: values['pod-masquerade'] === true,
      ...logRotationOptions(String(values['container-log-max-size']), Number(values['container-log-max-files'])),
    } });
    // Every kujira node has the demo image, as `kujira up`'s own node does.
    await ensureBuiltinImages(node.containerd.socket, node.containerd.client, join(dataDir, 'images'), [DEMO_IMAGE]).catch(async (err: unknown) => {
      await node?.stop();
      throw err;
    });
  } catch (err) {
    process.stderr.write(`kujira agent: cannot join ${String(values.server)}: ${(err as Error).message}\n`);
    return 1;
  }
  process.stdout.write(`kujira: node ${nodeName} joined ${String(values.server)}\n`);
  const joined = node;
  await new Promise<void>((done) => {
    const onSignal = () => void joined.stop().finally(done);
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
