import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkWebsocketProtocols, parseStreamTarget, StreamRefusal } from './streaming.js';

const q = (s: string) => new URLSearchParams(s);

test('exec targets read the kubelet query: command list, input/output/error/tty flags', () => {
  const t = parseStreamTarget('/exec/default/web-1/app', q('command=sh&command=-c&command=echo%20hi&input=1&output=1&error=1'));
  assert.deepEqual(t, {
    kind: 'exec', namespace: 'default', pod: 'web-1', uid: undefined, container: 'app',
    command: ['sh', '-c', 'echo hi'], stdio: { stdin: true, stdout: true, stderr: true, tty: false }, ports: [],
  });
  const withUid = parseStreamTarget('/exec/ns/p/0f1e/c', q('command=ls&output=1'));
  assert.equal(withUid.uid, '0f1e');
  assert.equal(withUid.container, 'c');
});

test('a tty merges stderr into stdout, as the kubelet does', () => {
  const t = parseStreamTarget('/attach/ns/p/c', q('input=1&output=1&error=1&tty=1'));
  assert.deepEqual(t.stdio, { stdin: true, stdout: true, stderr: false, tty: true });
});

test('exec or attach without any stream, or exec without a command, is refused with 400', () => {
  assert.throws(() => parseStreamTarget('/exec/ns/p/c', q('command=ls')), (e: unknown) => e instanceof StreamRefusal && e.status === 400 && /at least 1 of stdin, stdout, stderr/.test(e.message));
  assert.throws(() => parseStreamTarget('/exec/ns/p/c', q('output=1')), (e: unknown) => e instanceof StreamRefusal && e.status === 400);
  assert.throws(() => parseStreamTarget('/exec/ns/p', q('output=1&command=ls')), (e: unknown) => e instanceof StreamRefusal && e.status === 404);
});

test('port-forward targets take ports from the websocket query only', () => {
  assert.deepEqual(parseStreamTarget('/portForward/ns/p', q('')).ports, []);
  assert.deepEqual(parseStreamTarget('/portForward/ns/p', q('port=8080&port=9000,9001')).ports, [8080, 9000, 9001]);
  assert.throws(() => parseStreamTarget('/portForward/ns/p', q('port=70000')), StreamRefusal);
});

test('websocket handshakes the runtime cannot take are answered 403 like its stream server', () => {
  const ws = (protocols?: string) => ({ upgrade: 'websocket', ...(protocols ? { 'sec-websocket-protocol': protocols } : {}) });
  assert.throws(() => checkWebsocketProtocols('exec', ws('v5.channel.k8s.io')), (e: unknown) => e instanceof StreamRefusal && e.status === 403 && /not supported: \[v5\.channel\.k8s\.io\]/.test(e.message));
  assert.throws(() => checkWebsocketProtocols('portForward', ws('SPDY/3.1+portforward.k8s.io')), StreamRefusal);
  checkWebsocketProtocols('exec', ws('v5.channel.k8s.io, v4.channel.k8s.io'));
  checkWebsocketProtocols('attach', ws());
  checkWebsocketProtocols('exec', { upgrade: 'SPDY/3.1' });
});
