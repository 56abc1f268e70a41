// Container lifecycle hooks (postStart, preStop) as the kubelet runs them: exec in the container, an HTTP GET
// to the pod, or a sleep in the agent. tcpSocket is accepted by the API for backward compatibility but, as with
// the kubelet, it is no handler at all: the hook fails. The message wording and the events are pure functions here;
// running a hook is the only I/O.
import http from 'node:http';
import https from 'node:https';
import type { core } from '../../api/types.js';
import type { Clock } from '../../client/clock.js';
import { ExecError, type PodRuntime } from '../../runtime/runtime.js';
import { resolvePort } from './translate.js';

export type HookPoint = 'postStart' | 'preStop';

export interface HookOutcome {
  ok: boolean;
  /** The kubelet's wording of the failure (shown as PostStartHookError's message); '' on success. */
  message: string;
}

/** The pod as the kubelet names it in messages: name_namespace(uid). */
export function podFullName(pod: core.Pod): string {
  return `${pod.metadata?.name ?? ''}_${pod.metadata?.namespace ?? 'default'}(${pod.metadata?.uid ?? ''})`;
}

/** Go's %q of a string, close enough for the ASCII text these messages carry. */
function goQuote(s: string): string {
  return JSON.stringify(s);
}

/** Go's %v of an IntOrString: {type intVal strVal}. */
function intOrStringV(port: number | string | undefined): string {
  return typeof port === 'string' ? `{1 0 ${port}}` : `{0 ${port ?? 0} }`;
}

/** What the kubelet prints for a handler it cannot run (Go's String() of a LifecycleHandler with only tcpSocket set). */
export function describeHandler(handler: core.LifecycleHandler): string {
  const tcp = handler.tcpSocket ? `&TCPSocketAction{Port:${intOrStringV(handler.tcpSocket.port as number | string)},Host:${handler.tcpSocket.host ?? ''},}` : 'nil';
  return `&LifecycleHandler{Exec:nil,HTTPGet:nil,TCPSocket:${tcp},Sleep:nil,}`;
}

/** The result of running one handler, before it is worded. */
export type HandlerResult =
  | { kind: 'ok' }
  | { kind: 'exec-failed'; command: string[]; error: string; output: string }
  | { kind: 'http-failed'; path: string; error: string }
  | { kind: 'sleep-failed'; seconds: number; error: string }
  | { kind: 'no-handler'; handler: core.LifecycleHandler };

/**
 * The kubelet's message for a failed hook (pure). Examples:
 *   Exec lifecycle hook ([sh -c exit 3]) for Container "c" in Pod "web_default(u1)" failed - error: command 'sh -c exit 3' exited with 3: , message: ""
 *   HTTP lifecycle hook (/hook) for Container "c" in Pod "web_default(u1)" failed - error: Get "http://10.1.0.5:9/hook": dial tcp 10.1.0.5:9: connect: connection refused
 */
export function hookFailureMessage(result: HandlerResult, container: string, pod: core.Pod): string {
  const who = `for Container ${goQuote(container)} in Pod ${goQuote(podFullName(pod))}`;
  switch (result.kind) {
    case 'ok': return '';
    case 'exec-failed': return `Exec lifecycle hook ([${result.command.join(' ')}]) ${who} failed - error: ${result.error}, message: ${goQuote(result.output)}`;
    case 'http-failed': return `HTTP lifecycle hook (${result.path}) ${who} failed - error: ${result.error}`;
    case 'sleep-failed': return `Sleep lifecycle hook (${result.seconds}) ${who} failed - error: ${result.error}`;
    case 'no-handler': return `Cannot run handler: invalid handler: ${describeHandler(result.handler)}`;
  }
}

/**
 * The event a failed hook gives (pure). The kubelet leaves the handler's output out of events so secrets it may
 * print do not leak; the full message goes to the container's waiting state (postStart) only.
 */
export function hookFailureEvent(point: HookPoint): { type: 'Warning'; reason: string; message: string } {
  return point === 'postStart'
    ? { type: 'Warning', reason: 'FailedPostStartHook', message: 'PostStartHook failed' }
    : { type: 'Warning', reason: 'FailedPreStopHook', message: 'PreStopHook failed' };
}

/** The waiting reason of a container whose postStart hook failed. */
export const POST_START_HOOK_ERROR = 'PostStartHookError';
/** The kubelet never gives a container less than this to stop after its preStop hook. */
export const MINIMUM_GRACE_SECONDS = 2;

/**
 * The grace period left for SIGTERM → SIGKILL after a preStop hook took `hookSeconds` (whole seconds, as the
 * kubelet counts them), never below two seconds. Example: grace 30, hook 12 → 18; grace 5, hook 5 → 2.
 */
export function graceAfterPreStop(graceSeconds: number, hookSeconds: number): number {
  return Math.max(MINIMUM_GRACE_SECONDS, graceSeconds - Math.max(0, Math.floor(hookSeconds)));
}

/** Go's wording of a failed dial, as net/http reports it inside `Get "url": ...`. */
export function dialError(code: string | undefined, message: string, host: string, port: number): string {
  const address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  switch (code) {
    case 'ECONNREFUSED': return `dial tcp ${address}: connect: connection refused`;
    case 'EHOSTUNREACH': return `dial tcp ${address}: connect: no route to host`;
    case 'ENETUNREACH': return `dial tcp ${address}: connect: network is unreachable`;
    case 'ETIMEDOUT': return `dial tcp ${address}: i/o timeout`;
    default: return message;
  }
}

export interface HookTarget {
  pod: core.Pod;
  container: core.Container;
  containerId: string;
  podIP: string;
}

/** How long a hook may take at most: exec and HTTP hooks have no timeout of their own in Kubernetes. */
const HOOK_LIMIT_SECONDS = 3600;

class HookCancelled extends Error {}

/** The promise, or a rejection once the signal aborts (the exec itself runs on in the container until it ends). */
function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(new HookCancelled('context canceled'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new HookCancelled('context canceled'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then((v) => { signal.removeEventListener('abort', onAbort); resolve(v); }, (err: unknown) => { signal.removeEventListener('abort', onAbort); reject(err); });
  });
}

/** Runs one handler (I/O). `signal` ends a sleep or an HTTP request early (the grace period ran out). */
export async function runHandler(handler: core.LifecycleHandler, target: HookTarget, runtime: PodRuntime, clock: Clock, signal?: AbortSignal): Promise<HandlerResult> {
  if (handler.exec) {
    const command = handler.exec.command ?? [];
    try {
      const res = await abortable(runtime.execSync(target.containerId, command, HOOK_LIMIT_SECONDS), signal);
      if (res.exitCode === 0) return { kind: 'ok' };
      const stderr = res.stderr.toString('utf8');
      return {
        kind: 'exec-failed', command,
        error: `command '${command.join(' ')}' exited with ${res.exitCode}: ${stderr}`,
        output: Buffer.concat([res.stdout, res.stderr]).toString('utf8'),
      };
    } catch (err) {
      const detail = err instanceof ExecError ? `rpc error: code = ${err.timedOut ? 'DeadlineExceeded' : 'Unknown'} desc = ${err.message}`
        : err instanceof HookCancelled ? 'rpc error: code = Canceled desc = context canceled' : (err as Error).message;
      return { kind: 'exec-failed', command, error: detail, output: '' };
    }
  }
  if (handler.httpGet) {
    const g = handler.httpGet;
    const port = g.port === '' || g.port === undefined ? 80 : resolvePort(g.port as number | string, target.container);
    const path = g.path ?? '';
    if (port === undefined) return { kind: 'http-failed', path, error: `couldn't find port: ${String(g.port)} in container ${target.container.name}` };
    const host = g.host || target.podIP;
    const scheme = (g.scheme ?? 'HTTP').toLowerCase();
    const url = `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}${path.startsWith('/') || path === '' ? path : `/${path}`}`;
    const headers: Record<string, string> = { 'User-Agent': 'kube-lifecycle/1.32', Accept: '*/*' };
    for (const h of g.httpHeaders ?? []) headers[h.name] = h.value;
    return new Promise<HandlerResult>((resolve) => {
      const lib = scheme === 'https' ? https : http;
      // As the kubelet: any HTTP answer is success (the status code is not looked at); only transport errors fail.
      const req = lib.request(url, { method: 'GET', headers, insecureHTTPParser: true, rejectUnauthorized: false, agent: false, signal }, (res) => {
        res.resume();
        res.on('end', () => resolve({ kind: 'ok' }));
        res.on('error', () => resolve({ kind: 'ok' }));
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        resolve({ kind: 'http-failed', path, error: `Get ${goQuote(url)}: ${dialError(err.code, err.message, host, port)}` });
      });
      req.end();
    });
  }
  if (handler.sleep) {
    const seconds = handler.sleep.seconds;
    const cut: HandlerResult = { kind: 'sleep-failed', seconds, error: 'container terminated before sleep hook finished' };
    if (signal?.aborted) return cut;
    return new Promise<HandlerResult>((resolve) => {
      const timer = clock.setTimer(() => resolve({ kind: 'ok' }), seconds * 1000);
      signal?.addEventListener('abort', () => {
        timer.cancel();
        resolve(cut);
      }, { once: true });
    });
  }
  return { kind: 'no-handler', handler };
}
