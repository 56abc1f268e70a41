import assert from 'node:assert/strict';
import { it } from 'node:test';
import { parsePath } from './requestinfo.js';

it('splits resource URLs as Kubernetes does', () => {
  assert.deepEqual(parsePath('/api/v1/namespaces/default/pods/web-1/status'), {
    kind: 'resource',
    req: { group: '', version: 'v1', namespace: 'default', resource: 'pods', name: 'web-1', subresource: 'status', watchPath: false },
  });
  assert.deepEqual(parsePath('/apis/apps/v1/watch/namespaces/ns/deployments'), {
    kind: 'resource',
    req: { group: 'apps', version: 'v1', namespace: 'ns', resource: 'deployments', name: undefined, subresource: undefined, watchPath: true },
  });
  // namespaces/{name}/status is the namespace's own subresource, not a namespaced "status" resource.
  assert.deepEqual(parsePath('/api/v1/namespaces/team/status'), {
    kind: 'resource',
    req: { group: '', version: 'v1', namespace: undefined, resource: 'namespaces', name: 'team', subresource: 'status', watchPath: false },
  });
  assert.deepEqual(parsePath('/api/v1/namespaces/team'), {
    kind: 'resource',
    req: { group: '', version: 'v1', namespace: undefined, resource: 'namespaces', name: 'team', subresource: undefined, watchPath: false },
  });
  assert.deepEqual(parsePath('/apis'), { kind: 'root', core: false });
  assert.deepEqual(parsePath('/apis/apps'), { kind: 'group', group: 'apps' });
  assert.deepEqual(parsePath('/apis/apps/v1'), { kind: 'groupVersion', group: 'apps', version: 'v1' });
  assert.deepEqual(parsePath('/metrics'), { kind: 'other' });
});
