// The seed's user journey with every kubectl a user may have (1.27 … 1.33), against one
// `kujira up --runtime simulated` (controllers, scheduler, simulated nodes in-process).
// kubectl's own wording differs between versions (describe layout, `annotate` vs `annotated`);
// what the server answers — tables, objects, errors, discovery, OpenAPI — must not, and no
// version may print a warning or error a real cluster would not.
//
// Each version runs in its own namespace, one after the other (about 10 s each here, ~70 s for
// all seven). KUJIRA_KUBECTL_VERSIONS=short keeps the whole journey for the oldest, the one on
// PATH and the newest only, and gives the others a shorter one (the commands whose wire format
// changed across versions: protobuf generators, discovery, tables, apply). A version that is not
// installed is skipped, saying so.
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { eventually, repoRoot, TestCluster, type KubectlResult } from '../support/cluster.js';

const MINORS = [27, 28, 29, 30, 31, 32, 33];
const fixture = (name: string) => join(repoRoot, 'test', 'e2e', 'fixtures', name);

/** Where the versioned binaries live: beside the kubectl on PATH (the Cloud SDK ships them so), or a known SDK dir. */
function kubectlDirs(): string[] {
  const dirs: string[] = [];
  try {
    const onPath = execFileSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).trim();
    if (onPath) dirs.push(dirname(realpathSync(onPath)));
  } catch {
    // no kubectl on PATH: only the SDK dirs below
  }
  dirs.push('/usr/lib/google-cloud-sdk/bin', '/root/google-cloud-sdk/bin');
  return dirs;
}

function pathKubectlMinor(): number | undefined {
  try {
    const out = execFileSync('kubectl', ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
    return Number((JSON.parse(out) as { clientVersion: { minor: string } }).clientVersion.minor.replace(/\D+$/, ''));
  } catch {
    return undefined;
  }
}

function findKubectls(): Map<number, string> {
  const found = new Map<number, string>();
  const dirs = kubectlDirs();
  for (const minor of MINORS) {
    const bin = dirs.map((d) => join(d, `kubectl.1.${minor}`)).find((p) => existsSync(p));
    if (bin) found.set(minor, bin);
  }
  const minor = pathKubectlMinor();
  if (minor !== undefined && !found.has(minor)) found.set(minor, 'kubectl');
  return found;
}

const kubectls = findKubectls();
const installed = [...kubectls.keys()].sort((a, b) => a - b);
const onPath = pathKubectlMinor();
/** Every version runs the whole journey; with KUJIRA_KUBECTL_VERSIONS=short only the oldest, the PATH one and the newest do. */
const fullFor = new Set(process.env.KUJIRA_KUBECTL_VERSIONS === 'short' ? [installed[0], onPath, installed[installed.length - 1]].filter((m) => m !== undefined) : installed);

/** One kubectl binary with its own discovery cache (HOME), pointed at the cluster. */
class Kubectl {
  constructor(
    readonly minor: number,
    private readonly bin: string,
    private readonly kubeconfig: string,
    private readonly home: string,
    readonly ns: string,
  ) {}

  private get env(): NodeJS.ProcessEnv {
    return { ...process.env, KUBECONFIG: this.kubeconfig, HOME: this.home };
  }

  run(args: string[], opts: { input?: string; namespaced?: boolean } = {}): Promise<KubectlResult> {
    const full = opts.namespaced === false ? args : ['-n', this.ns, ...args];
    return new Promise((resolve) => {
      const child = execFile(this.bin, full, { env: this.env, timeout: 90_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
      if (opts.input !== undefined) child.stdin!.end(opts.input);
    });
  }

  /** Must succeed and print nothing on stderr (no warnings a real cluster would not give); returns stdout. */
  async ok(args: string[], opts: { input?: string; namespaced?: boolean; stderr?: RegExp } = {}): Promise<string> {
    const r = await this.run(args, opts);
    const what = `kubectl 1.${this.minor} ${args.join(' ')}`;
    assert.equal(r.code, 0, `${what} failed (${r.code}): ${r.stderr}`);
    const unexpected = r.stderr.split('\n').filter((l) => l.trim() !== '' && !(opts.stderr && opts.stderr.test(l)));
    assert.deepEqual(unexpected, [], `${what} printed on stderr:\n${r.stderr}`);
    return r.stdout;
  }

  /** Must fail with `code`; returns stderr. */
  async fails(args: string[], code = 1, opts: { input?: string } = {}): Promise<string> {
    const r = await this.run(args, opts);
    assert.equal(r.code, code, `kubectl 1.${this.minor} ${args.join(' ')}: expected exit ${code}, got ${r.code}\n${r.stdout}${r.stderr}`);
    return r.stderr;
  }

  /** A long-running kubectl (get -w); its stdout and stderr accumulate separately. */
  background(args: string[]): { out(): string; err(): string; stop(): Promise<void> } {
    const child = spawn(this.bin, ['-n', this.ns, ...args], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    return {
      out: () => out,
      err: () => err,
      stop: () =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    };
  }
}

const jsonpath = (k: Kubectl, what: string[], path: string) => k.ok(['get', ...what, '-o', `jsonpath=${path}`]);
const rowOf = (table: string, name: string) => table.split('\n').find((l) => l.startsWith(`${name} `)) ?? '';

/** The part every version runs: apply, get in every format, describe, scale, generators, autoscale, discovery, explain. */
async function shortJourney(k: Kubectl, ns: string): Promise<void> {
  // `create namespace` is a generator: kubectl 1.32+ sends it as protobuf.
  assert.equal(await k.ok(['create', 'namespace', ns], { namespaced: false }), `namespace/${ns} created\n`);

  // The seed's misspelt manifest fails naming the field, and nothing is written.
  const misspelt = await k.fails(['apply', '-f', fixture('seed-kuard-liveness.yaml')]);
  assert.match(misspelt, /strict decoding error: unknown field "spec\.containres"/);
  assert.match(await k.fails(['apply', '-f', fixture('seed-kuard-rs-extensions.yaml')]), /no matches for kind "ReplicaSet" in version "extensions\/v1beta1"/);

  assert.equal(await k.ok(['apply', '-f', fixture('kuard-pod.yaml')]), 'pod/kuard created\n');
  assert.equal(await k.ok(['apply', '-f', fixture('kuard-rs.yaml')]), 'replicaset.apps/kuard created\n');
  assert.equal(await k.ok(['apply', '-f', fixture('nginx-deploy.yaml')]), 'deployment.apps/nginx created\n');
  assert.equal(await k.ok(['apply', '-f', fixture('nginx-deploy.yaml')]), 'deployment.apps/nginx unchanged\n');
  assert.match(await k.ok(['rollout', 'status', 'deploy/nginx', '--timeout=60s']), /deployment "nginx" successfully rolled out\n$/);
  // The ReplicaSet adopts the pod with its labels (the seed's loose coupling): one pod, Running.
  await eventually(async () => (await jsonpath(k, ['pod', 'kuard'], '{.status.phase}')) === 'Running', `kuard Running (1.${k.minor})`, 30_000);

  const pods = await k.ok(['get', 'pods']);
  assert.match(pods, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\n/);
  assert.match(rowOf(pods, 'kuard'), /^kuard\s+1\/1\s+Running\s+0\s+\d+s$/);
  assert.equal(pods.split('\n').filter((l) => /^nginx-[0-9a-f]+-[0-9a-z]{5}\s+1\/1\s+Running\s+0\s/.test(l)).length, 2, pods);
  const wide = await k.ok(['get', 'pods', '-o', 'wide']);
  assert.match(wide, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES\n/);
  assert.match(rowOf(wide, 'kuard'), /^kuard\s+1\/1\s+Running\s+0\s+\d+s\s+10\.244\.\d+\.\d+\s+kujira-sim-\d\s+<none>\s+<none>$/);
  const rsWide = await k.ok(['get', 'rs', '-o', 'wide']);
  assert.match(rsWide, /^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR\n/);
  assert.match(rowOf(rsWide, 'kuard'), /^kuard\s+1\s+1\s+1\s+\d+s\s+kuard\s+gcr\.io\/kuar-demo\/kuard-amd64:2\s+app=kuard,version=2$/);
  assert.match(rsWide, /^nginx-[0-9a-f]+\s+2\s+2\s+2\s+\d+s\s+nginx\s+nginx:1\.7\.12\s+pod-template-hash=[0-9a-f]+,run=nginx$/m);
  const deploys = await k.ok(['get', 'deploy']);
  assert.match(deploys, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\nnginx\s+2\/2\s+2\s+2\s+\d+s\n$/);
  const byLabel = await k.ok(['get', 'pods', '-l', 'app=kuard,version=2', '--no-headers']);
  assert.deepEqual(byLabel.trim().split('\n').map((l) => l.split(/\s+/)[0]), ['kuard']);
  const podYaml = parseYaml(await k.ok(['get', 'pod', 'kuard', '-o', 'yaml'])) as { kind: string; metadata: Record<string, unknown>; spec: { containers: { imagePullPolicy: string }[]; nodeName?: string } };
  assert.equal(podYaml.kind, 'Pod');
  assert.equal(podYaml.spec.containers[0]!.imagePullPolicy, 'IfNotPresent');
  assert.match(podYaml.spec.nodeName ?? '', /^kujira-sim-\d$/);
  assert.equal(podYaml.metadata.managedFields, undefined, 'kubectl hides managedFields; the server must not make them appear');
  // A fresh Deployment stays at generation 1: the controller's revision annotation is a status write.
  assert.equal(await jsonpath(k, ['deploy', 'nginx'], '{.metadata.generation}/{.status.observedGeneration}/{.metadata.annotations.deployment\\.kubernetes\\.io/revision}'), '1/1/1');

  const describePod = await k.ok(['describe', 'pod', 'kuard']);
  assert.match(describePod, /^Name:\s+kuard$/m);
  assert.match(describePod, new RegExp(`^Namespace:\\s+${ns}$`, 'm'));
  assert.match(describePod, /^Node:\s+kujira-sim-\d\/127\.0\.0\.1$/m);
  assert.match(describePod, /^Status:\s+Running$/m);
  assert.match(describePod, /^IP:\s+10\.244\.\d+\.\d+$/m);
  assert.match(describePod, /^Controlled By:\s+ReplicaSet\/kuard$/m);
  assert.match(describePod, new RegExp(`Normal\\s+Scheduled\\s+\\S+\\s+default-scheduler\\s+Successfully assigned ${ns}/kuard to kujira-sim-\\d`));
  const describeRs = await k.ok(['describe', 'rs', 'kuard']);
  assert.match(describeRs, /^Selector:\s+app=kuard,version=2$/m);
  assert.match(describeRs, /^Replicas:\s+1 current \/ 1 desired$/m);
  assert.match(describeRs, /^Pods Status:\s+1 Running \/ 0 Waiting \/ 0 Succeeded \/ 0 Failed$/m);
  const describeDeploy = await k.ok(['describe', 'deploy', 'nginx']);
  assert.match(describeDeploy, /^Replicas:\s+2 desired \| 2 updated \| 2 total \| 2 available \| 0 unavailable$/m);
  assert.match(describeDeploy, /^RollingUpdateStrategy:\s+1 max unavailable, 1 max surge$/m);
  assert.match(describeDeploy, /^NewReplicaSet:\s+nginx-[0-9a-f]+ \(2\/2 replicas created\)$/m);
  assert.match(describeDeploy, /Normal\s+ScalingReplicaSet\s+\S+\s+deployment-controller\s+Scaled up replica set nginx-[0-9a-f]+ from 0 to 2/);

  assert.equal(await k.ok(['scale', 'deploy', 'nginx', '--replicas=3']), 'deployment.apps/nginx scaled\n');
  assert.match(await k.ok(['rollout', 'status', 'deploy/nginx', '--timeout=60s']), /successfully rolled out\n$/);
  assert.match(await k.ok(['get', 'deploy', 'nginx', '--subresource=scale']), /^NAME\s+DESIRED\s+AVAILABLE\s+AGE\nnginx\s+3\s+3\s+\d+s\n$/);
  assert.match(await k.ok(['get', 'deploy', 'nginx', '--subresource=status']), /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\nnginx\s+3\/3\s+3\s+3\s+\d+s\n$/);
  assert.match(await k.fails(['scale', 'deploy', 'nginx', '--current-replicas=5', '--replicas=1']), /Expected replicas to be 5, was 3/);

  // Generators: kubectl 1.32+ sends these bodies as protobuf, older ones as JSON; the objects must be the same.
  assert.equal(await k.ok(['create', 'deployment', 'web', '--image=nginx:1.25', '--replicas=2', '--port=80']), 'deployment.apps/web created\n');
  assert.equal(
    await jsonpath(k, ['deploy', 'web'], '{.spec.replicas} {.metadata.labels.app} {.spec.selector.matchLabels.app} {.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].ports[0].containerPort} {.spec.strategy.type} {.spec.strategy.rollingUpdate.maxSurge}'),
    '2 web web nginx:1.25 80 RollingUpdate 25%',
  );
  // Go's JSON writes the template's zero creationTimestamp as null; the protobuf body must store the same.
  const webTemplate = (JSON.parse(await k.ok(['get', 'deploy', 'web', '-o', 'json'])) as { spec: { template: { metadata: Record<string, unknown> } } }).spec.template.metadata;
  assert.deepEqual(webTemplate, { creationTimestamp: null, labels: { app: 'web' } });
  assert.match(await k.ok(['rollout', 'status', 'deploy/web', '--timeout=60s']), /deployment "web" successfully rolled out\n$/);
  assert.equal(await jsonpath(k, ['deploy', 'web'], '{.metadata.generation}'), '1');
  assert.match(await k.fails(['create', 'deployment', 'bad', '--image=nginx', '--replicas=-1']), /Deployment\.apps "bad" is invalid: spec\.replicas: Invalid value: -1: must be greater than or equal to 0/);

  assert.equal(await k.ok(['scale', 'rs', 'kuard', '--replicas=2']), 'replicaset.apps/kuard scaled\n');
  await eventually(async () => /^kuard\s+2\s+2\s+2\s/m.test(await k.ok(['get', 'rs', 'kuard', '--no-headers'])), `rs kuard 2 ready (1.${k.minor})`, 30_000);
  assert.equal(await k.ok(['autoscale', 'rs', 'kuard', '--min=2', '--max=5', '--cpu-percent=80']), 'horizontalpodautoscaler.autoscaling/kuard autoscaled\n');
  const hpa = await k.ok(['get', 'hpa']);
  assert.match(hpa, /^NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE\n/);
  assert.match(rowOf(hpa, 'kuard'), /^kuard\s+ReplicaSet\/kuard\s+cpu: \S+\/80%\s+2\s+5\s+\d+\s+\d+s$/);
  assert.equal(await jsonpath(k, ['hpa', 'kuard'], '{.spec.scaleTargetRef.kind}/{.spec.scaleTargetRef.name} {.spec.minReplicas}-{.spec.maxReplicas} {.spec.metrics[0].resource.name}={.spec.metrics[0].resource.target.averageUtilization}'), 'ReplicaSet/kuard 2-5 cpu=80');
  assert.equal(await k.ok(['delete', 'hpa', 'kuard']), 'horizontalpodautoscaler.autoscaling "kuard" deleted\n');

  // Orphaning: the ReplicaSet goes, its pod stays without an owner.
  assert.equal(await k.ok(['delete', 'rs', 'kuard', '--cascade=orphan']), 'replicaset.apps "kuard" deleted\n');
  assert.match(await k.fails(['get', 'rs', 'kuard']), /Error from server \(NotFound\): replicasets\.apps "kuard" not found/);
  await eventually(async () => (await jsonpath(k, ['pod', 'kuard'], '{.metadata.ownerReferences}')) === '', `kuard released (1.${k.minor})`, 15_000);

  const resources = await k.ok(['api-resources'], { namespaced: false });
  assert.match(resources, /^NAME\s+SHORTNAMES\s+APIVERSION\s+NAMESPACED\s+KIND\n/);
  for (const row of [
    /^pods\s+po\s+v1\s+true\s+Pod$/m,
    /^nodes\s+no\s+v1\s+false\s+Node$/m,
    /^namespaces\s+ns\s+v1\s+false\s+Namespace$/m,
    /^replicasets\s+rs\s+apps\/v1\s+true\s+ReplicaSet$/m,
    /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m,
    /^horizontalpodautoscalers\s+hpa\s+autoscaling\/v2\s+true\s+HorizontalPodAutoscaler$/m,
  ]) {
    assert.match(resources, row);
  }
  const explain = await k.ok(['explain', 'pod.spec.containers']);
  assert.match(explain, /^KIND:\s+Pod\nVERSION:\s+v1\n/);
  assert.match(explain, /FIELD:\s+containers <\[\]Container>/);
  assert.match(explain, /^ {2}image\t<string>$/m);
  assert.match(explain, /^ {2}name\t<string> -required-$/m);

  // Server-side apply: creates, then re-applies a change (same manager, so no conflict on a real cluster either).
  const ssa = (replicas: number) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ssa, labels: {app: ssa}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ssa}}
  template:
    metadata: {labels: {app: ssa}}
    spec: {containers: [{name: c, image: "nginx:1.25"}]}
`;
  assert.equal(await k.ok(['apply', '--server-side', '-f', '-'], { input: ssa(1) }), 'deployment.apps/ssa serverside-applied\n');
  assert.equal(await k.ok(['apply', '--server-side', '-f', '-'], { input: ssa(2) }), 'deployment.apps/ssa serverside-applied\n');
  assert.equal(await jsonpath(k, ['deploy', 'ssa'], '{.spec.replicas} {.metadata.generation}'), '2 2');
}

/** The rest of the seed: describe, label/annotate, rollout history/undo, diff, watch, logs, drain. */
async function restOfJourney(k: Kubectl): Promise<void> {
  const rsName = (await k.ok(['get', 'rs', '-l', 'run=nginx', '-o', 'name'])).trim().split('\n')[0]!;
  const describeNginxRs = await k.ok(['describe', rsName]);
  assert.match(describeNginxRs, /^Controlled By:\s+Deployment\/nginx$/m);
  assert.match(describeNginxRs, /^Replicas:\s+3 current \/ 3 desired$/m);
  assert.match(describeNginxRs, /^Pods Status:\s+3 Running \/ 0 Waiting \/ 0 Succeeded \/ 0 Failed$/m);
  assert.match(describeNginxRs, /Normal\s+SuccessfulCreate\s+\S+\s+replicaset-controller\s+Created pod: nginx-/);

  assert.equal(await k.ok(['label', 'pod', 'kuard', 'env=test']), 'pod/kuard labeled\n');
  // kubectl 1.27 itself prints "annotate" (its message was fixed in 1.28); the server's answer is the same.
  assert.match(await k.ok(['annotate', 'pod', 'kuard', 'note=hello']), /^pod\/kuard annotated?\n$/);
  assert.equal(await jsonpath(k, ['pod', 'kuard'], '{.metadata.labels.env} {.metadata.annotations.note}'), 'test hello');
  assert.match(await k.ok(['get', 'pod', 'kuard', '--show-labels', '--no-headers']), /app=kuard,env=test,version=2/);

  assert.equal(await k.ok(['set', 'image', 'deploy/nginx', 'nginx=nginx:1.9.10']), 'deployment.apps/nginx image updated\n');
  assert.match(await k.ok(['rollout', 'status', 'deploy/nginx', '--timeout=60s']), /successfully rolled out\n$/);
  assert.match(await k.ok(['rollout', 'history', 'deploy/nginx']), /^deployment\.apps\/nginx \nREVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>\n/);
  assert.equal(await k.ok(['rollout', 'undo', 'deploy/nginx']), 'deployment.apps/nginx rolled back\n');
  assert.match(await k.ok(['rollout', 'status', 'deploy/nginx', '--timeout=60s']), /successfully rolled out\n$/);
  assert.match(await k.ok(['rollout', 'history', 'deploy/nginx']), /REVISION\s+CHANGE-CAUSE\n2\s+<none>\n3\s+<none>\n/);
  const rsAfterUndo = await k.ok(['get', 'rs', '-l', 'run=nginx', '-o', 'wide', '--no-headers']);
  assert.match(rsAfterUndo, /^nginx-[0-9a-f]+\s+3\s+3\s+3\s+\S+\s+nginx\s+nginx:1\.7\.12\s/m);
  assert.match(rsAfterUndo, /^nginx-[0-9a-f]+\s+0\s+0\s+0\s+\S+\s+nginx\s+nginx:1\.9\.10\s/m);

  // diff goes through dryRun=All: exit 1 and the change when there is one, exit 0 and nothing otherwise.
  const manifest = await readFile(fixture('nginx-deploy.yaml'), 'utf8');
  const live = manifest.replace('replicas: 2', 'replicas: 3');
  const d = await k.run(['diff', '-f', '-'], { input: live.replace('replicas: 3', 'replicas: 4') });
  assert.equal(d.code, 1, d.stderr);
  assert.equal(d.stderr, '');
  assert.match(d.stdout, /^-  replicas: 3$/m);
  assert.match(d.stdout, /^\+  replicas: 4$/m);
  const same = await k.run(['diff', '-f', '-'], { input: live });
  assert.deepEqual([same.code, same.stdout, same.stderr], [0, '', '']);

  // get -w: the table header, then a row for each change.
  const watch = k.background(['get', 'deploy', 'web', '-w']);
  try {
    await eventually(() => /^web\s+2\/2\s+2\s+2\s+\S+$/m.test(watch.out()), `watch shows web 2/2 (1.${k.minor})`, 15_000);
    assert.match(watch.out(), /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\n/);
    await k.ok(['scale', 'deploy', 'web', '--replicas=3']);
    await eventually(() => /^web\s+3\/3\s+3\s+3\s+\S+$/m.test(watch.out()), `watch shows web 3/3 (1.${k.minor})`, 30_000);
    assert.equal(watch.err(), '');
  } finally {
    await watch.stop();
  }

  // Logs of a simulated container, and the errors a user meets.
  assert.match(await k.ok(['logs', 'kuard']), /^kujira-sim: container kuard \(image gcr\.io\/kuar-demo\/kuard-amd64:1\) started on node kujira-sim-\d$/m);
  assert.match(await k.fails(['logs', 'kuard', '-c', 'nope']), /container nope is not valid for pod kuard/);
  // newer kubectl words it "error: error from server (NotFound): … not found in namespace …"; the Status is the same.
  assert.match(await k.fails(['logs', 'nope']), /rror from server \(NotFound\): pods "nope" not found/);

  // cordon / drain / uncordon: the orphaned pod has no controller, which kubectl warns about (so would a real cluster).
  const node = (await jsonpath(k, ['pod', 'kuard'], '{.spec.nodeName}')).trim();
  assert.equal(await k.ok(['cordon', node], { namespaced: false }), `node/${node} cordoned\n`);
  assert.match(await k.ok(['get', 'node', node, '--no-headers'], { namespaced: false }), new RegExp(`^${node}\\s+Ready,SchedulingDisabled\\s+<none>\\s+\\S+\\s+v1\\.`));
  const drained = await k.ok(['drain', node, '--ignore-daemonsets', '--delete-emptydir-data', '--force', '--timeout=60s'], {
    namespaced: false,
    stderr: /^(Warning: deleting Pods that declare no controller: .*|evicting pod \S+|pod\/\S+ evicted)$/,
  });
  assert.match(drained, new RegExp(`node/${node} drained\\n$`));
  assert.match(await k.fails(['get', 'pod', 'kuard']), /pods "kuard" not found/);
  assert.equal(await k.ok(['uncordon', node], { namespaced: false }), `node/${node} uncordoned\n`);
  // The Deployment's pods evicted from the node come back elsewhere.
  assert.match(await k.ok(['rollout', 'status', 'deploy/nginx', '--timeout=60s']), /successfully rolled out\n$/);
}

describe('every installed kubectl version through the seed journey', () => {
  let c: TestCluster;
  let homes: string;
  before(async () => {
    c = await TestCluster.start({ extraArgs: ['--controllers=*', '--runtime', 'simulated', '--simulated-nodes', '2'], timeoutMs: 30_000 });
    homes = await mkdtemp(join(tmpdir(), 'kujira-kubectl-homes-'));
    await eventually(async () => (await c.kubectl(['get', 'nodes', '--no-headers'])).stdout.split('\n').filter((l) => /\sReady\s/.test(l)).length === 2, 'two Ready nodes', 30_000);
  });
  after(async () => {
    await c?.dispose();
    if (homes) await rm(homes, { recursive: true, force: true });
  });

  for (const minor of MINORS) {
    it(`kubectl 1.${minor}`, async (t) => {
      const bin = kubectls.get(minor);
      if (!bin) {
        t.skip(`kubectl 1.${minor} is not installed (looked beside the PATH kubectl and in the Cloud SDK)`);
        return;
      }
      const ns = `kv-1-${minor}`;
      const home = await mkdtemp(join(homes, `1.${minor}-`));
      const k = new Kubectl(minor, bin, c.kubeconfig, home, ns);
      const client = JSON.parse(await k.ok(['version', '--client', '-o', 'json'], { namespaced: false })) as { clientVersion: { minor: string } };
      assert.equal(client.clientVersion.minor.replace(/\D+$/, ''), String(minor));

      await shortJourney(k, ns);
      if (fullFor.has(minor)) await restOfJourney(k);
      else t.diagnostic('short journey (KUJIRA_KUBECTL_VERSIONS=short)');

      assert.equal(await k.ok(['delete', 'namespace', ns, '--wait=false'], { namespaced: false }), `namespace "${ns}" deleted\n`);
    });
  }
});
