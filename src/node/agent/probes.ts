// Running probes (httpGet, tcpSocket, exec) on a schedule per container, feeding the pure counters in probecounter.ts.
import https from 'node:https';
import net from 'node:net';
import type { core } from '../../api/types.js';
import type { Clock, TimerHandle } from '../../client/clock.js';
import { ExecError, type PodRuntime } from '../../runtime/runtime.js';
import { initialProbeState, probeSettings, recordOutcome, type ProbeCounterState, type ProbeKind, type ProbeResult } from './probecounter.js';
import { resolvePort } from './translate.js';

export interface ProbeOutcome {
  ok: boolean;
  message: string;
}

const PROBE_NAME: Record<ProbeKind, string> = { liveness: 'Liveness', readiness: 'Readiness', startup: 'Startup' };

/** One probe attempt against a running container. */
export async function runProbe(probe: core.Probe, target: { podIP: string; container: core.Container; containerId: string }, runtime: PodRuntime): Promise<ProbeOutcome> {
  const timeoutMs = Math.max(1, probe.timeoutSeconds ?? 1) * 1000;
  if (probe.exec) {
    const command = probe.exec.command ?? [];
    try {
      const res = await runtime.execSync(target.containerId, command, Math.max(1, probe.timeoutSeconds ?? 1));
      const output = Buffer.concat([res.stdout, res.stderr]).toString('utf8');
      return res.exitCode === 0 ? { ok: true, message: output } : { ok: false, message: output.trim() || `command ${JSON.stringify(command.join(' '))} exited with ${res.exitCode}` };
    } catch (err) {
      if (err instanceof ExecError && err.timedOut) return { ok: false, message: `command "${command.join(' ')}" timed out` };
      return { ok: false, message: (err as Error).message };
    }
  }
  if (probe.httpGet) {
    const g = probe.httpGet;
    const port = resolvePort(g.port as number | string, target.container);
    const host = g.host || target.podIP;
    const scheme = (g.scheme ?? 'HTTP').toLowerCase();
    const path = g.path ? (g.path.startsWith('/') ? g.path : `/${g.path}`) : '/';
    const hostPort = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    const url = `${scheme}://${hostPort}${path}`;
    if (port === undefined) return { ok: false, message: `unable to resolve port ${String(g.port)}` };
    if (scheme !== 'https') return httpGetProbe(host, port, url, requestHead(path, hostPort, g.httpHeaders ?? []), timeoutMs);
    const headers: Record<string, string> = { 'User-Agent': 'kube-probe/1.32', Accept: '*/*' };
    for (const h of g.httpHeaders ?? []) headers[h.name] = h.value;
    return new Promise<ProbeOutcome>((resolve) => {
      const req = https.request(url, { method: 'GET', headers, timeout: timeoutMs, insecureHTTPParser: true, rejectUnauthorized: false, agent: false }, (res) => {
        const code = res.statusCode ?? 0;
        res.resume();
        res.on('end', () => {});
        if (code >= 200 && code < 400) resolve({ ok: true, message: '' });
        else resolve({ ok: false, message: `HTTP probe failed with statuscode: ${code}` });
      });
      req.on('timeout', () => { req.destroy(); resolve({ ok: false, message: `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` }); });
      req.on('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, message: `Get "${url}": ${dialMessage(err, host, port)}` }));
      req.end();
    });
  }
  if (probe.tcpSocket) {
    const port = resolvePort(probe.tcpSocket.port as number | string, target.container);
    const host = probe.tcpSocket.host || target.podIP;
    if (port === undefined) return { ok: false, message: `unable to resolve port ${String(probe.tcpSocket.port)}` };
    return new Promise<ProbeOutcome>((resolve) => {
      const socket = net.connect({ host, port });
      const timer = setTimeout(() => { socket.destroy(); resolve({ ok: false, message: `dial tcp ${host}:${port}: i/o timeout` }); }, timeoutMs);
      socket.once('connect', () => { clearTimeout(timer); socket.destroy(); resolve({ ok: true, message: '' }); });
      socket.once('error', (err: NodeJS.ErrnoException) => { clearTimeout(timer); resolve({ ok: false, message: dialMessage(err, host, port) }); });
    });
  }
  if (probe.grpc) return { ok: false, message: 'grpc probes are not supported by this node' };
  return { ok: false, message: 'probe has no handler' };
}

/**
 * The request the kubelet's prober sends: GET, Host, its User-Agent and Accept unless the probe sets its own,
 * the probe's headers, and Connection: close (it never keeps a probe connection alive).
 */
export function requestHead(path: string, hostPort: string, probeHeaders: { name: string; value: string }[]): string {
  const own = new Set(probeHeaders.map((h) => h.name.toLowerCase()));
  let head = `GET ${path} HTTP/1.1\r\n`;
  if (!own.has('host')) head += `Host: ${hostPort}\r\n`;
  if (!own.has('user-agent')) head += 'User-Agent: kube-probe/1.32\r\n';
  if (!own.has('accept')) head += 'Accept: */*\r\n';
  for (const h of probeHeaders) if (h.name.toLowerCase() !== 'connection') head += `${h.name}: ${h.value}\r\n`;
  return `${head}Connection: close\r\n\r\n`;
}

/** Status code of a response whose head (status line) is in `head`; undefined while the line is incomplete, NaN if malformed. */
export function responseStatus(head: string): number | undefined {
  const eol = head.indexOf('\r\n');
  if (eol < 0) return head.length > 8192 ? NaN : undefined;
  const m = /^HTTP\/\d\.\d (\d{3})(?: |$)/.exec(head.slice(0, eol));
  return m ? Number(m[1]) : NaN;
}

/** Body bytes read (and dropped) after the status, as the kubelet reads at most 10 KiB of a probe's answer. */
const MAX_PROBE_BODY = 10 * 1024;

/**
 * An httpGet probe over plain HTTP on a bare socket: the status line decides, the rest (up to 10 KiB) is
 * drained and the connection closed. Node's HTTP client made ~30 KB of garbage a probe (request, response,
 * parser, header objects): with 50 pods probed each second, a good part of the agent's heap churn.
 */
function httpGetProbe(host: string, port: number, url: string, head: string, timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise<ProbeOutcome>((resolve) => {
    let decided = false;
    let received = '';
    let drained = 0;
    const socket = net.connect({ host, port });
    const decide = (outcome: ProbeOutcome) => {
      if (decided) return;
      decided = true;
      resolve(outcome);
    };
    // Until the status line: the probe's timeout; then the same deadline bounds the drain.
    const timer = setTimeout(() => {
      socket.destroy();
      decide({ ok: false, message: `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` });
    }, timeoutMs);
    socket.once('close', () => {
      clearTimeout(timer);
      decide({ ok: false, message: `Get "${url}": EOF` });
    });
    socket.once('error', (err: NodeJS.ErrnoException) => decide({ ok: false, message: `Get "${url}": ${dialMessage(err, host, port)}` }));
    socket.once('connect', () => socket.write(head));
    socket.on('data', (chunk: Buffer) => {
      if (decided) {
        drained += chunk.length;
        if (drained > MAX_PROBE_BODY) socket.destroy();
        return;
      }
      received += chunk.toString('latin1');
      const code = responseStatus(received);
      if (code === undefined) return;
      drained = received.length;
      received = '';
      if (Number.isNaN(code)) {
        socket.destroy();
        decide({ ok: false, message: `Get "${url}": malformed HTTP response` });
      } else {
        decide(code >= 200 && code < 400 ? { ok: true, message: '' } : { ok: false, message: `HTTP probe failed with statuscode: ${code}` });
      }
    });
    socket.once('end', () => socket.destroy());
  });
}

function dialMessage(err: NodeJS.ErrnoException, host: string, port: number): string {
  const why = err.code === 'ECONNREFUSED' ? 'connect: connection refused'
    : err.code === 'EHOSTUNREACH' ? 'connect: no route to host'
    : err.code === 'ETIMEDOUT' ? 'i/o timeout' : err.message;
  return `dial tcp ${host}:${port}: ${why}`;
}

interface Worker {
  kind: ProbeKind;
  probe: core.Probe;
  state: ProbeCounterState;
  timer?: TimerHandle;
  running: boolean;
}

interface ContainerProbes {
  podUid: string;
  workers: Worker[];
  stopped: boolean;
}

export interface ProbeHost {
  runtime: PodRuntime;
  clock: Clock;
  /** A probe's result changed: the pod's worker should sync. */
  changed(podUid: string): void;
  /** Unhealthy events. */
  failed(pod: core.Pod, container: core.Container, kind: ProbeKind, message: string): void;
}

/** The probe results the pod worker reads when it syncs. */
export interface ContainerProbeView {
  ready: boolean;
  started: boolean;
  livenessFailed: boolean;
  startupFailed: boolean;
}

/** Probe workers for every running container, keyed by container id (a restart gets fresh workers). */
export class ProbeManager {
  private readonly containers = new Map<string, ContainerProbes>();

  constructor(private readonly host: ProbeHost) {}

  /** Starts the container's probe workers unless they already run. */
  ensure(pod: core.Pod, container: core.Container, containerId: string, startedAt: number, podIP: string): void {
    if (this.containers.has(containerId)) return;
    const entry: ContainerProbes = { podUid: pod.metadata?.uid ?? '', workers: [], stopped: false };
    const kinds: [ProbeKind, core.Probe | undefined][] = [['startup', container.startupProbe], ['liveness', container.livenessProbe], ['readiness', container.readinessProbe]];
    for (const [kind, probe] of kinds) if (probe) entry.workers.push({ kind, probe, state: initialProbeState(kind), running: false });
    this.containers.set(containerId, entry);
    for (const w of entry.workers) this.schedule(entry, w, pod, container, containerId, podIP, startedAt + probeSettings(w.probe).initialDelaySeconds * 1000);
  }

  private schedule(entry: ContainerProbes, w: Worker, pod: core.Pod, container: core.Container, containerId: string, podIP: string, at: number): void {
    if (entry.stopped) return;
    w.timer = this.host.clock.setTimer(() => void this.tick(entry, w, pod, container, containerId, podIP), Math.max(0, at - this.host.clock.now()));
  }

  private async tick(entry: ContainerProbes, w: Worker, pod: core.Pod, container: core.Container, containerId: string, podIP: string): Promise<void> {
    if (entry.stopped) return;
    const settings = probeSettings(w.probe);
    const startup = entry.workers.find((x) => x.kind === 'startup');
    const gated = w.kind !== 'startup' && startup && startup.state.result !== 'success';
    // A failed liveness/startup probe holds its result until the container is replaced.
    const onHold = (w.kind === 'liveness' || w.kind === 'startup') && w.state.result === 'failure';
    const done = w.kind === 'startup' && w.state.result === 'success';
    if (!gated && !onHold && !done && !w.running) {
      w.running = true;
      const outcome = await runProbe(w.probe, { podIP, container, containerId }, this.host.runtime).finally(() => { w.running = false; });
      if (entry.stopped) return;
      const before = w.state.result;
      w.state = recordOutcome(w.state, outcome.ok ? 'success' : 'failure', settings);
      if (!outcome.ok) this.host.failed(pod, container, w.kind, outcome.message);
      if (w.state.result !== before) this.host.changed(entry.podUid);
    }
    this.schedule(entry, w, pod, container, containerId, podIP, this.host.clock.now() + settings.periodSeconds * 1000);
  }

  view(containerId: string): ContainerProbeView {
    const entry = this.containers.get(containerId);
    // Workers not yet set up for this container: nothing is known, so it is neither started nor ready
    // (a status written in this window must not show Ready before the readiness probe has passed).
    if (!entry) return { started: false, ready: false, livenessFailed: false, startupFailed: false };
    const result = (kind: ProbeKind): ProbeResult | undefined => entry?.workers.find((w) => w.kind === kind)?.state.result;
    const startup = result('startup');
    const readiness = result('readiness');
    const started = startup === undefined || startup === 'success';
    return {
      started,
      ready: started && (readiness === undefined || readiness === 'success'),
      livenessFailed: result('liveness') === 'failure',
      startupFailed: startup === 'failure',
    };
  }

  remove(containerId: string): void {
    const entry = this.containers.get(containerId);
    if (!entry) return;
    entry.stopped = true;
    for (const w of entry.workers) w.timer?.cancel();
    this.containers.delete(containerId);
  }

  removePod(podUid: string): void {
    for (const [id, entry] of this.containers) if (entry.podUid === podUid) this.remove(id);
  }

  /** Drops workers of containers not in `alive`. */
  retain(podUid: string, alive: Set<string>): void {
    for (const [id, entry] of this.containers) if (entry.podUid === podUid && !alive.has(id)) this.remove(id);
  }

  stopAll(): void {
    for (const id of [...this.containers.keys()]) this.remove(id);
  }

  static eventMessage(kind: ProbeKind, message: string): string {
    return `${PROBE_NAME[kind]} probe failed: ${message}`;
  }
}
