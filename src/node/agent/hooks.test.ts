import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { core } from '../../api/types.js';
import { dialError, graceAfterPreStop, hookFailureEvent, hookFailureMessage, podFullName, type HandlerResult } from './hooks.js';

const pod: core.Pod = { metadata: { name: 'web', namespace: 'shop', uid: 'u-1' }, spec: { containers: [{ name: 'c' }] } };

describe('hookFailureMessage words a failed hook as the kubelet does', () => {
  const cases: { name: string; result: HandlerResult; want: string }[] = [
    { name: 'success has no message', result: { kind: 'ok' }, want: '' },
    {
      name: 'exec exiting non-zero',
      result: { kind: 'exec-failed', command: ['sh', '-c', 'echo no; exit 3'], error: "command 'sh -c echo no; exit 3' exited with 3: ", output: 'no\n' },
      want: 'Exec lifecycle hook ([sh -c echo no; exit 3]) for Container "c" in Pod "web_shop(u-1)" failed - error: command \'sh -c echo no; exit 3\' exited with 3: , message: "no\\n"',
    },
    {
      name: 'httpGet to a closed port',
      result: { kind: 'http-failed', path: '/hook', error: 'Get "http://10.1.0.5:9/hook": dial tcp 10.1.0.5:9: connect: connection refused' },
      want: 'HTTP lifecycle hook (/hook) for Container "c" in Pod "web_shop(u-1)" failed - error: Get "http://10.1.0.5:9/hook": dial tcp 10.1.0.5:9: connect: connection refused',
    },
    {
      name: 'sleep cut short',
      result: { kind: 'sleep-failed', seconds: 5, error: 'container terminated before sleep hook finished' },
      want: 'Sleep lifecycle hook (5) for Container "c" in Pod "web_shop(u-1)" failed - error: container terminated before sleep hook finished',
    },
    {
      name: 'tcpSocket is no handler',
      result: { kind: 'no-handler', handler: { tcpSocket: { port: 8080 } } },
      want: 'Cannot run handler: invalid handler: &LifecycleHandler{Exec:nil,HTTPGet:nil,TCPSocket:&TCPSocketAction{Port:{0 8080 },Host:,},Sleep:nil,}',
    },
    {
      name: 'tcpSocket with a named port',
      result: { kind: 'no-handler', handler: { tcpSocket: { port: 'http', host: '127.0.0.1' } } },
      want: 'Cannot run handler: invalid handler: &LifecycleHandler{Exec:nil,HTTPGet:nil,TCPSocket:&TCPSocketAction{Port:{1 0 http},Host:127.0.0.1,},Sleep:nil,}',
    },
  ];
  for (const c of cases) it(c.name, () => assert.equal(hookFailureMessage(c.result, 'c', pod), c.want));
});

describe('hookFailureEvent leaves the handler output out', () => {
  const cases = [
    { point: 'postStart' as const, want: { type: 'Warning', reason: 'FailedPostStartHook', message: 'PostStartHook failed' } },
    { point: 'preStop' as const, want: { type: 'Warning', reason: 'FailedPreStopHook', message: 'PreStopHook failed' } },
  ];
  for (const c of cases) it(c.point, () => assert.deepEqual(hookFailureEvent(c.point), c.want));
});

describe('graceAfterPreStop', () => {
  const cases = [
    { grace: 30, hook: 12, want: 18 },
    { grace: 30, hook: 12.9, want: 18 }, // whole seconds, as the kubelet counts them
    { grace: 30, hook: 0.4, want: 30 },
    { grace: 5, hook: 5, want: 2 }, // the two-second minimum
    { grace: 5, hook: 40, want: 2 },
    { grace: 1, hook: 0, want: 2 },
  ];
  for (const c of cases) it(`grace ${c.grace}, hook ${c.hook}s → ${c.want}`, () => assert.equal(graceAfterPreStop(c.grace, c.hook), c.want));
});

describe('dialError', () => {
  const cases = [
    { code: 'ECONNREFUSED', host: '10.1.0.5', want: 'dial tcp 10.1.0.5:9: connect: connection refused' },
    { code: 'EHOSTUNREACH', host: '10.1.0.5', want: 'dial tcp 10.1.0.5:9: connect: no route to host' },
    { code: 'ECONNREFUSED', host: 'fd00::5', want: 'dial tcp [fd00::5]:9: connect: connection refused' },
    { code: 'EWHATEVER', host: '10.1.0.5', want: 'something odd' },
  ];
  for (const c of cases) it(`${c.code} ${c.host}`, () => assert.equal(dialError(c.code, 'something odd', c.host, 9), c.want));
});

it('podFullName is name_namespace(uid)', () => assert.equal(podFullName(pod), 'web_shop(u-1)'));
