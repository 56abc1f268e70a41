import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from '../api/errors.js';
import { chooseContainer, nodeStreamQuery } from './streaming.js';

const badRequest = (message: string) => (e: unknown) => e instanceof ApiError && e.code === 400 && e.message === message;

test('PodExecOptions become the kubelet query: input/output/error/tty and the command list', () => {
  const out = nodeStreamQuery('exec', new URLSearchParams('command=sh&command=-c&command=exit 3&container=web&stdin=true&stdout=true&stderr=true&tty=false'));
  assert.equal(out.toString(), 'input=1&output=1&error=1&command=sh&command=-c&command=exit+3');
  assert.equal(nodeStreamQuery('attach', new URLSearchParams('stdout=1&tty=True&command=ignored')).toString(), 'output=1&tty=1');
  assert.throws(() => nodeStreamQuery('exec', new URLSearchParams('stdin=yes')), badRequest('strconv.ParseBool: parsing "yes": invalid syntax'));
});

test('PodPortForwardOptions ports become the kubelet port parameters', () => {
  assert.equal(nodeStreamQuery('portforward', new URLSearchParams('ports=8080,9090&ports=1')).toString(), 'port=8080&port=9090&port=1');
  assert.equal(nodeStreamQuery('portforward', new URLSearchParams('')).toString(), '');
  assert.throws(() => nodeStreamQuery('portforward', new URLSearchParams('ports=0')), ApiError);
});

test('the container is the named one, or the only one; otherwise the Kubernetes messages', () => {
  const pod = { spec: { containers: [{ name: 'web' }, { name: 'side' }], initContainers: [{ name: 'setup' }] } };
  assert.equal(chooseContainer(pod, 'bar', 'side'), 'side');
  assert.equal(chooseContainer(pod, 'bar', 'setup'), 'setup');
  assert.throws(() => chooseContainer(pod, 'bar', 'foo'), badRequest('container foo is not valid for pod bar'));
  assert.throws(() => chooseContainer(pod, 'bar', ''), badRequest('a container name must be specified for pod bar, choose one of: [web side] or one of the init containers: [setup]'));
  assert.equal(chooseContainer({ spec: { containers: [{ name: 'only' }] } }, 'bar', ''), 'only');
});
