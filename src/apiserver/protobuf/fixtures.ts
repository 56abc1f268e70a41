// The kubectl commands whose protobuf bodies are kept in testdata/ (<name>.pb, and <name>.json
// holding what the same command sends as JSON). Shared by the live kubectl test, which
// records them, and decode.test.ts, which replays them without kubectl.
import type { core } from '../../api/types.js';

export interface FixtureCase {
  name: string;
  args: string[];
  /** The write that carries the body; `path` is a pattern because versions differ (autoscale: v1 in 1.32, v2 in 1.33). */
  method: string;
  path: RegExp;
  /** kubectl 1.32 sends this write as JSON, not protobuf (drain's eviction). */
  json?: boolean;
  /** Pods on node n1 the capture server holds first (for drain). */
  pods?: string[];
  /** The JSON object when kubectl has no --dry-run=client -o json form for the command. */
  expected?: Record<string, unknown>;
}

export const FIXTURE_CASES: FixtureCase[] = [
  {
    name: 'create-deployment',
    args: ['create', 'deployment', 'web', '--image=nginx:1.27', '--replicas=3', '--port=80'],
    method: 'POST',
    path: /^\/apis\/apps\/v1\/namespaces\/default\/deployments$/,
  },
  { name: 'create-namespace', args: ['create', 'namespace', 'team-a'], method: 'POST', path: /^\/api\/v1\/namespaces$/ },
  {
    name: 'autoscale',
    args: ['autoscale', 'deployment', 'web', '--min=2', '--max=5', '--cpu-percent=80'],
    method: 'POST',
    path: /^\/apis\/autoscaling\/v[12]\/namespaces\/default\/horizontalpodautoscalers$/,
  },
  {
    name: 'create-configmap',
    args: ['create', 'configmap', 'cfg', '--from-literal=a=1', '--from-literal=b=two words'],
    method: 'POST',
    path: /^\/api\/v1\/namespaces\/default\/configmaps$/,
  },
  {
    name: 'create-secret',
    args: ['create', 'secret', 'generic', 's1', '--from-literal=password=hunter2'],
    method: 'POST',
    path: /^\/api\/v1\/namespaces\/default\/secrets$/,
  },
  {
    name: 'create-service',
    args: ['create', 'service', 'clusterip', 'svc', '--tcp=80:8080', '--tcp=443:https'],
    method: 'POST',
    path: /^\/api\/v1\/namespaces\/default\/services$/,
  },
  {
    name: 'create-pdb',
    args: ['create', 'poddisruptionbudget', 'pdb', '--selector=app=web', '--min-available=50%'],
    method: 'POST',
    path: /^\/apis\/policy\/v1\/namespaces\/default\/poddisruptionbudgets$/,
  },
  {
    name: 'create-quota',
    args: ['create', 'quota', 'q', '--hard=cpu=1500m,memory=1Gi,pods=2', '--scopes=NotTerminating'],
    method: 'POST',
    path: /^\/api\/v1\/namespaces\/default\/resourcequotas$/,
  },
  {
    name: 'drain-eviction',
    args: ['drain', 'n1', '--grace-period=7', '--timeout=30s'],
    pods: ['p1'],
    method: 'POST',
    path: /^\/api\/v1\/namespaces\/default\/pods\/p1\/eviction$/,
    json: true,
    expected: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'p1', namespace: 'default' }, deleteOptions: { gracePeriodSeconds: 7 } },
  },
  {
    name: 'drain-delete',
    args: ['drain', 'n1', '--disable-eviction', '--grace-period=0', '--timeout=30s'],
    pods: ['p2'],
    method: 'DELETE',
    path: /^\/api\/v1\/namespaces\/default\/pods\/p2$/,
    expected: { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0 },
  },
];

/** JSON writes null for an unset Time or slice; protobuf has no nil slice, so comparisons leave nulls out. */
export function dropNulls<T>(v: T): T {
  if (Array.isArray(v)) return v.map((x: unknown) => dropNulls(x)) as T;
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = dropNulls(x);
    return out as T;
  }
  return v;
}

/**
 * A pod touching most of the PodSpec tree, written as Go's JSON encoder would print it (so a
 * typed client reading it and writing it back changes nothing). The live test serves it and has
 * `kubectl debug --copy-to` send a copy of it as protobuf.
 */
export const RICH_POD = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'rich',
    namespace: 'default',
    uid: '7d3c1f8e-2a4b-4c3d-9e8f-0a1b2c3d4e5f',
    resourceVersion: '42',
    generation: 1,
    creationTimestamp: '2024-05-06T07:08:09Z',
    labels: { app: 'rich', tier: 'backend' },
    annotations: { 'example.com/note': 'hello', 'empty-value': '' },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rich-5d9', uid: '11111111-2222-3333-4444-555555555555', controller: true, blockOwnerDeletion: true }],
    finalizers: ['example.com/keep'],
  },
  spec: {
    volumes: [
      { name: 'scratch', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
      { name: 'plain', emptyDir: {} },
      { name: 'host', hostPath: { path: '/var/log', type: 'Directory' } },
      { name: 'cfg', configMap: { name: 'cfg', items: [{ key: 'a', path: 'a.txt', mode: 256 }], defaultMode: 420, optional: true } },
      { name: 'sec', secret: { secretName: 's1', defaultMode: 384, optional: false } },
      {
        name: 'proj',
        projected: {
          sources: [
            { serviceAccountToken: { audience: 'api', expirationSeconds: 3600, path: 'token' } },
            { configMap: { name: 'cfg', items: [{ key: 'b', path: 'b.txt' }] } },
            { secret: { name: 's1' } },
            { downwardAPI: { items: [{ path: 'labels', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.labels' } }] } },
          ],
          defaultMode: 420,
        },
      },
      {
        name: 'podinfo',
        downwardAPI: {
          items: [
            { path: 'name', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } },
            { path: 'cpu', resourceFieldRef: { containerName: 'app', resource: 'limits.cpu', divisor: '1m' } },
          ],
          defaultMode: 420,
        },
      },
      { name: 'data', persistentVolumeClaim: { claimName: 'data-claim', readOnly: true } },
    ],
    initContainers: [
      {
        name: 'init',
        image: 'busybox:1.36',
        command: ['sh', '-c', 'echo init'],
        resources: {},
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
        imagePullPolicy: 'IfNotPresent',
      },
      {
        name: 'sidecar',
        image: 'busybox:1.36',
        args: ['sleep', '3600'],
        resources: {},
        restartPolicy: 'Always',
      },
    ],
    containers: [
      {
        name: 'app',
        image: 'nginx:1.27',
        command: ['nginx'],
        args: ['-g', 'daemon off;'],
        workingDir: '/srv',
        ports: [
          { name: 'http', containerPort: 80, protocol: 'TCP' },
          { containerPort: 9090, hostPort: 19090, hostIP: '127.0.0.1', protocol: 'UDP' },
        ],
        envFrom: [{ prefix: 'CFG_', configMapRef: { name: 'cfg', optional: true } }, { secretRef: { name: 's1' } }],
        env: [
          { name: 'PLAIN', value: 'x' },
          { name: 'EMPTY' },
          { name: 'POD_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } },
          { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 's1', key: 'password', optional: false } } },
          { name: 'A', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'a' } } },
          { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
        ],
        resources: {
          limits: { cpu: '500m', memory: '256Mi', 'example.com/gpu': '1' },
          requests: { cpu: '250m', memory: '128Mi' },
        },
        volumeMounts: [
          { name: 'scratch', mountPath: '/scratch' },
          { name: 'cfg', readOnly: true, mountPath: '/etc/cfg', subPath: 'a.txt' },
          { name: 'host', mountPath: '/host/log', mountPropagation: 'HostToContainer' },
        ],
        livenessProbe: {
          httpGet: { path: '/healthz', port: 'http', host: 'localhost', scheme: 'HTTP', httpHeaders: [{ name: 'X-Probe', value: 'yes' }] },
          initialDelaySeconds: 5,
          timeoutSeconds: 2,
          periodSeconds: 10,
          successThreshold: 1,
          failureThreshold: 3,
          terminationGracePeriodSeconds: 15,
        },
        readinessProbe: { tcpSocket: { port: 80 }, periodSeconds: 5 },
        startupProbe: { exec: { command: ['cat', '/tmp/ready'] }, failureThreshold: 30, periodSeconds: 1 },
        lifecycle: {
          postStart: { exec: { command: ['sh', '-c', 'true'] } },
          preStop: { sleep: { seconds: 5 } },
        },
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'FallbackToLogsOnError',
        imagePullPolicy: 'Always',
        securityContext: {
          capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] },
          privileged: false,
          runAsUser: 1000,
          runAsGroup: 0,
          runAsNonRoot: true,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          seccompProfile: { type: 'RuntimeDefault' },
        },
        stdin: true,
        tty: true,
      },
      {
        name: 'grpc',
        image: 'example.com/grpc:v1',
        resources: {},
        livenessProbe: { grpc: { port: 8080, service: 'health' } },
      },
    ],
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 0,
    activeDeadlineSeconds: 600,
    dnsPolicy: 'None',
    nodeSelector: { 'kubernetes.io/os': 'linux', disk: '' },
    serviceAccountName: 'builder',
    serviceAccount: 'builder',
    automountServiceAccountToken: false,
    nodeName: 'n1',
    hostNetwork: true,
    shareProcessNamespace: false,
    securityContext: {
      runAsUser: 1000,
      supplementalGroups: [4000, 5000, 0],
      fsGroup: 2000,
      fsGroupChangePolicy: 'OnRootMismatch',
      sysctls: [{ name: 'net.ipv4.ip_local_port_range', value: '1024 65535' }],
    },
    imagePullSecrets: [{ name: 'regcred' }],
    hostname: 'rich-host',
    subdomain: 'sub',
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }], matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['n9'] }] }],
        },
        preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, preference: { matchExpressions: [{ key: 'ssd', operator: 'Exists' }] } }],
      },
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [
          { labelSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['rich'] }] }, topologyKey: 'kubernetes.io/hostname', namespaces: ['default'] },
        ],
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 100, podAffinityTerm: { labelSelector: { matchLabels: { tier: 'backend' } }, topologyKey: 'zone', matchLabelKeys: ['pod-template-hash'] } },
        ],
      },
    },
    schedulerName: 'default-scheduler',
    tolerations: [
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' },
      { operator: 'Exists' },
    ],
    hostAliases: [{ ip: '10.0.0.1', hostnames: ['a.local', 'b.local'] }],
    priorityClassName: 'high',
    priority: -5,
    dnsConfig: { nameservers: ['1.1.1.1'], searches: ['svc.local'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] },
    readinessGates: [{ conditionType: 'example.com/ready' }],
    enableServiceLinks: false,
    preemptionPolicy: 'Never',
    topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'rich' } }, minDomains: 2 }],
    os: { name: 'linux' },
    schedulingGates: [{ name: 'example.com/gate' }],
  },
  status: {
    phase: 'Running',
    conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2024-05-06T07:08:10Z' }],
    hostIP: '10.0.0.5',
    podIP: '10.244.0.7',
    podIPs: [{ ip: '10.244.0.7' }],
    startTime: '2024-05-06T07:08:09Z',
    qosClass: 'Burstable',
  },
} satisfies core.Pod;
