// The seed's Service case through the real kubectl on `kujira up --runtime simulated` (controller
// manager, scheduler, simulated nodes that give pods IPs): expose a Deployment and a ReplicaSet,
// watch the endpoints follow the pods, detach a misbehaving pod by relabelling it, and see bad
// input answered as Kubernetes answers it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KujiraUp, eventually } from '../support/controllers-cluster.js';

interface PodView {
  name: string;
  ip: string;
}

describe('Services, Endpoints and EndpointSlices through kubectl', () => {
  let c: KujiraUp;
  before(async () => {
    c = await KujiraUp.start({ fullStack: { simulatedNodes: 2 } });
  });
  after(async () => {
    await c?.stop();
  });

  /** Running, ready pods selected by app=kuard (name and IP). */
  async function readyPods(selector = 'app=kuard'): Promise<PodView[]> {
    const out = await c.k(['get', 'pods', '-l', selector, '-o', 'jsonpath={range .items[*]}{.metadata.name} {.status.podIP} {.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}']);
    return out
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => l.split(' '))
      .filter(([, ip, ready]) => ip && ready === 'True')
      .map(([name, ip]) => ({ name: name!, ip: ip! }));
  }

  async function endpointIPs(name: string, field = 'addresses'): Promise<string[]> {
    const out = await c.k(['get', 'endpoints', name, '-o', `jsonpath={.subsets[*].${field}[*].ip}`]);
    return out.split(' ').filter(Boolean).sort();
  }

  it('kubectl expose deployment: the Service, its Endpoints and EndpointSlice list the ready pods', async () => {
    await c.k(['create', 'deployment', 'kuard', '--image=gcr.io/kuar-demo/kuard-amd64:blue', '--replicas=3', '--port=8080']);
    await c.k(['rollout', 'status', 'deploy/kuard', '--timeout=60s']);
    assert.match(await c.k(['expose', 'deployment', 'kuard', '--port', '8080']), /^service\/kuard exposed/);

    const table = await c.k(['get', 'svc', 'kuard']);
    assert.match(table, /^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\n/);
    assert.match(table, /\nkuard\s+ClusterIP\s+10\.(9[6-9]|10\d|11[01])\.\d+\.\d+\s+<none>\s+8080\/TCP\s+\d+s\n/);
    assert.match(await c.k(['get', 'svc', 'kuard', '-o', 'wide']), /SELECTOR\n.*8080\/TCP\s+\S+\s+app=kuard\n/);
    assert.match(await c.k(['get', 'svc', 'kubernetes', '--no-headers']), /^kubernetes\s+ClusterIP\s+10\.96\.0\.1\s+<none>\s+443\/TCP/);

    const pods = await readyPods();
    assert.equal(pods.length, 3);
    const want = pods.map((p) => p.ip).sort();
    await eventually(async () => JSON.stringify(await endpointIPs('kuard')) === JSON.stringify(want), 'endpoints list the 3 pods');
    const ep = await c.k(['get', 'ep', 'kuard', '--no-headers']);
    assert.match(ep, new RegExp(`^kuard\\s+(${want.map((ip) => ip.replace(/\./g, '\\.')).join('|')}):8080,\\S+:8080,\\S+:8080\\s+\\d+s\\n$`));
    // targetRef and nodeName name the pods.
    const refs = (await c.k(['get', 'ep', 'kuard', '-o', 'jsonpath={.subsets[0].addresses[*].targetRef.name}'])).split(' ').sort();
    assert.deepEqual(refs, pods.map((p) => p.name).sort());
    assert.match(await c.k(['get', 'ep', 'kuard', '-o', 'jsonpath={.subsets[0].addresses[0].nodeName}']), /\S/);

    const slices = await c.k(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=kuard']);
    assert.match(slices, /^NAME\s+ADDRESSTYPE\s+PORTS\s+ENDPOINTS\s+AGE\n/);
    assert.match(slices, /\nkuard-[a-z0-9]{5}\s+IPv4\s+8080\s+[\d.]+,[\d.]+,[\d.]+\s+\d+s\n/);
    const managedBy = await c.k(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=kuard', '-o', 'jsonpath={.items[0].metadata.labels.endpointslice\\.kubernetes\\.io/managed-by} {.items[0].metadata.ownerReferences[0].kind}/{.items[0].metadata.ownerReferences[0].name}']);
    assert.equal(managedBy, 'endpointslice-controller.k8s.io Service/kuard');

    // The write came from the new Service: its creation time is the change that triggered it.
    const created = await c.k(['get', 'svc', 'kuard', '-o', 'jsonpath={.metadata.creationTimestamp}']);
    const trigger = 'jsonpath={.metadata.annotations.endpoints\\.kubernetes\\.io/last-change-trigger-time}';
    assert.equal(await c.k(['get', 'ep', 'kuard', '-o', trigger]), created);
    assert.equal(await c.k(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=kuard', '-o', trigger.replace('{.metadata', '{.items[0].metadata')]), created);
    assert.equal(await c.k(['get', 'ep', 'kuard', '-o', 'jsonpath={.metadata.annotations.endpoints\\.kubernetes\\.io/over-capacity}']), '');

    const described = await c.k(['describe', 'svc', 'kuard']);
    assert.match(described, /Type:\s+ClusterIP/);
    assert.match(described, /TargetPort:\s+8080\/TCP/);
    assert.match(described, /Endpoints:\s+[\d.]+:8080,[\d.]+:8080,[\d.]+:8080/);
  });

  it("relabelling a pod detaches it from the ReplicaSet and the Service; its replacement takes its place", async () => {
    const before = await readyPods();
    const victim = before[0]!;
    await c.k(['label', 'pod', victim.name, 'app=debug', '--overwrite']);
    // Out of the endpoints at once, still running for debugging.
    await eventually(async () => !(await endpointIPs('kuard')).includes(victim.ip), 'the relabelled pod leaves the endpoints');
    assert.match(await c.k(['get', 'pod', victim.name, '--no-headers']), /Running/);
    // The ReplicaSet makes a new pod, which enters the endpoints once ready.
    const replacement = await eventually(async () => {
      const now = await readyPods();
      return now.length === 3 ? now.find((p) => !before.some((b) => b.name === p.name)) : undefined;
    }, 'a replacement pod is ready', 60_000);
    await eventually(async () => {
      const ips = await endpointIPs('kuard');
      return ips.length === 3 && ips.includes(replacement.ip) && !ips.includes(victim.ip);
    }, 'the replacement enters the endpoints');
    await eventually(async () => {
      const out = await c.k(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=kuard', '-o', 'jsonpath={.items[*].endpoints[*].addresses[0]}']);
      const ips = out.split(' ').filter(Boolean);
      return ips.length === 3 && ips.includes(replacement.ip) && !ips.includes(victim.ip);
    }, 'the EndpointSlice follows');
    // The last write was the replacement turning ready: the annotation is that transition's time.
    const readyAt = await c.k(['get', 'pod', replacement.name, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].lastTransitionTime}']);
    assert.equal(await c.k(['get', 'ep', 'kuard', '-o', 'jsonpath={.metadata.annotations.endpoints\\.kubernetes\\.io/last-change-trigger-time}']), readyAt);
    await c.k(['delete', 'pod', victim.name, '--wait=false']);
  });

  it('a pod that is not ready sits in notReadyAddresses (and is not ready in the slice)', async () => {
    await c.apply(`
apiVersion: v1
kind: Pod
metadata:
  name: kuard-warming
  labels: {app: kuard}
  annotations: {sim.kujira.io/never-ready: "true"}
spec:
  containers:
  - name: kuard
    image: gcr.io/kuar-demo/kuard-amd64:blue
    ports: [{containerPort: 8080}]
`);
    const ip = await eventually(async () => (await c.k(['get', 'pod', 'kuard-warming', '-o', 'jsonpath={.status.podIP}'])).trim(), 'the pod has an IP', 30_000);
    await eventually(async () => (await endpointIPs('kuard', 'notReadyAddresses')).includes(ip), 'the pod is listed as not ready');
    assert.ok(!(await endpointIPs('kuard')).includes(ip));
    const cond = await eventually(async () => {
      const out = await c.k(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=kuard', '-o', `jsonpath={.items[*].endpoints[?(@.addresses[0]=="${ip}")].conditions.ready}`]);
      return out.trim();
    }, 'the slice lists the pod');
    assert.equal(cond, 'false');
    await c.k(['delete', 'pod', 'kuard-warming', '--wait=false']);
  });

  it('expose rs, headless and NodePort Services', async () => {
    const rs = (await c.k(['get', 'rs', '-l', 'app=kuard', '-o', 'jsonpath={.items[0].metadata.name}'])).trim();
    assert.match(await c.k(['expose', 'rs', rs, '--name', 'kuard-rs', '--port', '80', '--target-port', '8080']), /service\/kuard-rs exposed/);
    assert.match(await c.k(['get', 'svc', 'kuard-rs', '--no-headers']), /^kuard-rs\s+ClusterIP\s+[\d.]+\s+<none>\s+80\/TCP/);
    await eventually(async () => (await endpointIPs('kuard-rs')).length === 3, 'the ReplicaSet Service has endpoints');
    assert.match(await c.k(['get', 'ep', 'kuard-rs', '--no-headers']), /:8080,/);

    await c.k(['expose', 'deployment', 'kuard', '--name', 'kuard-headless', '--cluster-ip=None', '--port', '8080']);
    assert.match(await c.k(['get', 'svc', 'kuard-headless', '--no-headers']), /^kuard-headless\s+ClusterIP\s+None\s+<none>\s+8080\/TCP/);
    await eventually(async () => (await endpointIPs('kuard-headless')).length === 3, 'the headless Service has endpoints');
    assert.equal(await c.k(['get', 'ep', 'kuard-headless', '-o', 'jsonpath={.metadata.labels.service\\.kubernetes\\.io/headless}']), '');

    await c.k(['expose', 'deployment', 'kuard', '--name', 'kuard-np', '--type', 'NodePort', '--port', '8080']);
    const np = await c.k(['get', 'svc', 'kuard-np', '--no-headers']);
    const m = /^kuard-np\s+NodePort\s+[\d.]+\s+<none>\s+8080:(\d+)\/TCP/.exec(np);
    assert.ok(m, np);
    assert.ok(Number(m[1]) >= 30000 && Number(m[1]) <= 32767);
  });

  it('bad input is answered with 422 in Kubernetes form', async () => {
    const ip = (await c.k(['get', 'svc', 'kuard', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
    const dup = await c.kubectl(['create', 'service', 'clusterip', 'dup', '--tcp=80:8080', `--clusterip=${ip}`]);
    assert.notEqual(dup.code, 0);
    // kubectl create service words the error its own way around the server's message.
    assert.equal(dup.stderr.trim(), `error: failed to create ClusterIP service: Service "dup" is invalid: spec.clusterIPs: Invalid value: []string{"${ip}"}: failed to allocate IP ${ip}: provided IP is already allocated`);

    const zero = await c.kubectl(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: Service\nmetadata: {name: zero}\nspec:\n  selector: {app: kuard}\n  ports: [{port: 0, targetPort: 8080}]\n' });
    assert.notEqual(zero.code, 0);
    assert.match(zero.stderr, /The Service "zero" is invalid: spec\.ports\[0\]\.port: Invalid value: 0: must be between 1 and 65535, inclusive/);

    const magic = await c.kubectl(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: Service\nmetadata: {name: magic}\nspec:\n  type: Magic\n  selector: {app: kuard}\n  ports: [{port: 80}]\n' });
    assert.notEqual(magic.code, 0);
    assert.match(magic.stderr, /The Service "magic" is invalid: spec\.type: Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"/);

    const moved = await c.kubectl(['patch', 'svc', 'kuard', '-p', '{"spec":{"clusterIP":"10.96.0.99"}}']);
    assert.notEqual(moved.code, 0);
    assert.match(moved.stderr, /spec\.clusterIPs\[0\]: Invalid value: \[\]string\{"10\.96\.0\.99"\}: may not change once set/);
  });

  it('deleting the Service removes its Endpoints and EndpointSlices', async () => {
    await c.k(['delete', 'svc', 'kuard']);
    await eventually(async () => (await c.kubectl(['get', 'ep', 'kuard'])).stderr.includes('NotFound'), 'the Endpoints are deleted');
    await eventually(async () => (await c.kubectl(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=kuard'])).stderr.includes('No resources found'), 'the EndpointSlices are deleted');
    // The other Services keep theirs.
    assert.equal((await endpointIPs('kuard-rs')).length, 3);
  });
});
