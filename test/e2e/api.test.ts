// Black-box tests of the REST API over HTTPS (an in-process `kujira up`): authentication, object
// semantics, errors as Status, deletion, subresources, paging, tables, discovery, watch.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually } from '../support/cluster.js';
import { InProcessCluster } from '../support/inproc.js';

const pod = (name: string, labels: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels },
  spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] },
});

describe('API server over HTTPS', () => {
  let c: InProcessCluster;
  before(async () => {
    c = await InProcessCluster.start();
  });
  after(async () => {
    await c.stop();
  });

  describe('authentication', () => {
    it('answers anonymous requests with a 401 Status', async () => {
      const r = await c.req('GET', '/api/v1/namespaces', { anonymous: true });
      assert.equal(r.status, 401);
      assert.deepEqual({ kind: r.json().kind, reason: r.json().reason, code: r.json().code }, { kind: 'Status', reason: 'Unauthorized', code: 401 });
    });
    it('accepts the admin bearer token and rejects a wrong one', async () => {
      const ok = await c.req('GET', '/api/v1/namespaces', { token: c.cluster.context.api.token });
      assert.equal(ok.status, 200);
      const bad = await c.req('GET', '/api/v1/namespaces', { token: 'nope' });
      assert.equal(bad.status, 401);
    });
  });

  describe('discovery', () => {
    it('serves aggregated discovery with short names, categories and subresources', async () => {
      const accept = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json';
      const r = await c.req('GET', '/apis', { headers: { Accept: accept } });
      assert.equal(r.status, 200);
      assert.match(String(r.headers['content-type']), /as=APIGroupDiscoveryList/);
      const apps = r.json().items.find((g: { metadata: { name: string } }) => g.metadata.name === 'apps');
      const deploy = apps.versions[0].resources.find((x: { resource: string }) => x.resource === 'deployments');
      assert.deepEqual(deploy.shortNames, ['deploy']);
      assert.deepEqual(deploy.categories, ['all']);
      assert.ok(deploy.subresources.some((s: { subresource: string }) => s.subresource === 'scale'));
      const core = (await c.req('GET', '/api', { headers: { Accept: accept } })).json();
      const pods = core.items[0].versions[0].resources.find((x: { resource: string }) => x.resource === 'pods');
      assert.deepEqual(pods.shortNames, ['po']);
    });
    it('serves plain discovery documents and /version', async () => {
      const groups = (await c.req('GET', '/apis')).json();
      const autoscaling = groups.groups.find((g: { name: string }) => g.name === 'autoscaling');
      assert.equal(autoscaling.preferredVersion.version, 'v2');
      const v1 = (await c.req('GET', '/api/v1')).json();
      assert.ok(v1.resources.some((x: { name: string }) => x.name === 'pods/binding'));
      assert.equal((await c.req('GET', '/version')).json().major, '1');
    });
    it('serves aggregated discovery v2beta1 and OpenAPI, answering protobuf-only OpenAPI v2 with a minimal protobuf document', async () => {
      const beta = await c.req('GET', '/api', { headers: { Accept: 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList' } });
      assert.equal(beta.json().apiVersion, 'apidiscovery.k8s.io/v2beta1');
      const root = (await c.req('GET', '/openapi/v3')).json();
      assert.ok(root.paths['api/v1'].serverRelativeURL.startsWith('/openapi/v3/api/v1'));
      const doc = await c.req('GET', root.paths['apis/apps/v1'].serverRelativeURL);
      assert.equal(doc.status, 200);
      assert.ok(doc.json().components.schemas['io.k8s.api.apps.v1.Deployment']);
      const proto = await c.req('GET', '/openapi/v2', { headers: { Accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' } });
      assert.equal(proto.status, 200);
      assert.equal(proto.headers['content-type'], 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
      assert.ok(proto.body.includes('2.0'));
      const other = await c.req('GET', '/openapi/v2', { headers: { Accept: 'application/vnd.unknown' } });
      assert.equal(other.status, 406);
      assert.equal((await c.req('GET', '/openapi/v2')).json().swagger, '2.0');
    });
  });

  describe('create and read', () => {
    it('fills uid, creationTimestamp, resourceVersion and honours generateName', async () => {
      const r = await c.req('POST', '/api/v1/namespaces/default/pods', { body: { ...pod(''), metadata: { generateName: 'gen-' } } });
      assert.equal(r.status, 201);
      const obj = r.json();
      assert.match(obj.metadata.name, /^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      assert.match(obj.metadata.uid, /^[0-9a-f-]{36}$/);
      assert.match(obj.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.match(obj.metadata.resourceVersion, /^\d+$/);
      const got = (await c.req('GET', `/api/v1/namespaces/default/pods/${obj.metadata.name}`)).json();
      assert.equal(got.metadata.resourceVersion, obj.metadata.resourceVersion);
    });
    it('answers 409 AlreadyExists, 404 for a missing namespace, 422 without a name', async () => {
      assert.equal((await c.req('POST', '/api/v1/namespaces/default/pods', { body: pod('dup') })).status, 201);
      const again = await c.req('POST', '/api/v1/namespaces/default/pods', { body: pod('dup') });
      assert.equal(again.status, 409);
      assert.equal(again.json().reason, 'AlreadyExists');
      assert.equal(again.json().message, 'pods "dup" already exists');
      const nons = await c.req('POST', '/api/v1/namespaces/nope/pods', { body: pod('x') });
      assert.equal(nons.status, 404);
      assert.equal(nons.json().message, 'namespaces "nope" not found');
      const noname = await c.req('POST', '/api/v1/namespaces/default/pods', { body: { ...pod(''), metadata: {} } });
      assert.equal(noname.status, 422);
      assert.equal(noname.json().reason, 'Invalid');
    });
    it('writes nothing with dryRun=All', async () => {
      const r = await c.req('POST', '/api/v1/namespaces/default/pods?dryRun=All', { body: pod('dry') });
      assert.equal(r.status, 201);
      assert.equal(r.json().metadata.name, 'dry');
      assert.equal((await c.req('GET', '/api/v1/namespaces/default/pods/dry')).status, 404);
    });
    it('accepts YAML bodies and answers YAML', async () => {
      const yaml = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: yml\nspec:\n  containers:\n  - name: c\n    image: nginx\n';
      const r = await c.req('POST', '/api/v1/namespaces/default/pods', { raw: yaml, headers: { 'Content-Type': 'application/yaml', Accept: 'application/yaml' } });
      assert.equal(r.status, 201);
      assert.match(r.body, /^apiVersion: v1\nkind: Pod\n/);
    });
  });

  describe('bad input', () => {
    it('answers malformed JSON and YAML with 400 Status', async () => {
      const r = await c.req('POST', '/api/v1/namespaces/default/pods', { raw: '{"apiVersion": "v1", "kind": ' });
      assert.equal(r.status, 400);
      assert.equal(r.json().kind, 'Status');
      assert.equal(r.json().reason, 'BadRequest');
      const y = await c.req('POST', '/api/v1/namespaces/default/pods', { raw: 'a: [b', headers: { 'Content-Type': 'application/yaml' } });
      assert.equal(y.status, 400);
      const notObject = await c.req('POST', '/api/v1/namespaces/default/pods', { raw: '[1,2]' });
      assert.equal(notObject.status, 400);
    });
    it('answers bodies over 3 MiB with 413', async () => {
      const big = JSON.stringify({ ...pod('big'), metadata: { name: 'big', annotations: { a: 'x'.repeat(3 * 1024 * 1024 + 10) } } });
      const r = await c.req('POST', '/api/v1/namespaces/default/pods', { raw: big });
      assert.equal(r.status, 413);
      assert.equal(r.json().reason, 'RequestEntityTooLarge');
    });
    it('answers a kind that does not match the URL with 400', async () => {
      const r = await c.req('POST', '/api/v1/namespaces/default/pods', { body: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' } } });
      assert.equal(r.status, 400);
    });
    it('answers unknown paths with 404 Status and bad selectors with 400', async () => {
      assert.equal((await c.req('GET', '/api/v1/nothings')).status, 404);
      const bad = await c.req('GET', '/api/v1/pods?fieldSelector=spec.bogus=1');
      assert.equal(bad.status, 400);
      assert.match(bad.json().message, /field label not supported: spec.bogus/);
    });
  });

  describe('update', () => {
    it('answers a stale resourceVersion with 409 Conflict and bumps generation on spec changes only', async () => {
      const created = (await c.req('POST', '/apis/apps/v1/namespaces/default/deployments', {
        body: {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'web' },
          spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
        },
      })).json();
      assert.equal(created.metadata.generation, 1);
      const changed = structuredClone(created);
      changed.spec.replicas = 3;
      const u1 = await c.req('PUT', '/apis/apps/v1/namespaces/default/deployments/web', { body: changed });
      assert.equal(u1.status, 200);
      assert.equal(u1.json().metadata.generation, 2);
      const stale = await c.req('PUT', '/apis/apps/v1/namespaces/default/deployments/web', { body: changed });
      assert.equal(stale.status, 409);
      assert.equal(stale.json().reason, 'Conflict');
      assert.match(stale.json().message, /the object has been modified; please apply your changes to the latest version and try again/);
      const labelsOnly = u1.json();
      labelsOnly.metadata.labels = { x: 'y' };
      const u2 = (await c.req('PUT', '/apis/apps/v1/namespaces/default/deployments/web', { body: labelsOnly })).json();
      assert.equal(u2.metadata.generation, 2);
    });
    it('changes status only through the status subresource', async () => {
      const cur = (await c.req('GET', '/apis/apps/v1/namespaces/default/deployments/web')).json();
      cur.status = { replicas: 7 };
      const main = (await c.req('PUT', '/apis/apps/v1/namespaces/default/deployments/web', { body: cur })).json();
      assert.notEqual(main.status?.replicas, 7);
      const viaStatus = { ...main, status: { replicas: 7 } };
      viaStatus.spec = { ...main.spec, replicas: 9 };
      const st = (await c.req('PUT', '/apis/apps/v1/namespaces/default/deployments/web/status', { body: viaStatus })).json();
      assert.equal(st.status.replicas, 7);
      assert.equal(st.spec.replicas, main.spec.replicas);
    });
    it('reads and writes the scale subresource', async () => {
      const s = (await c.req('GET', '/apis/apps/v1/namespaces/default/deployments/web/scale')).json();
      assert.equal(s.kind, 'Scale');
      assert.equal(s.apiVersion, 'autoscaling/v1');
      assert.equal(s.status.selector, 'app=web');
      const put = await c.req('PUT', '/apis/apps/v1/namespaces/default/deployments/web/scale', { body: { ...s, spec: { replicas: 5 } } });
      assert.equal(put.status, 200);
      assert.equal((await c.req('GET', '/apis/apps/v1/namespaces/default/deployments/web')).json().spec.replicas, 5);
      const neg = await c.req('PUT', '/apis/apps/v1/namespaces/default/deployments/web/scale', { body: { ...s, spec: { replicas: -1 } } });
      assert.equal(neg.status, 422);
    });
  });

  describe('pods/binding and graceful deletion', () => {
    it('binds once, then deletes a bound pod gracefully and at once with grace 0', async () => {
      await c.req('POST', '/api/v1/namespaces/default/pods', { body: pod('bound') });
      const binding = { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'bound' }, target: { kind: 'Node', name: 'node-1' } };
      const b = await c.req('POST', '/api/v1/namespaces/default/pods/bound/binding', { body: binding });
      assert.equal(b.status, 201);
      const p = (await c.req('GET', '/api/v1/namespaces/default/pods/bound')).json();
      assert.equal(p.spec.nodeName, 'node-1');
      const again = await c.req('POST', '/api/v1/namespaces/default/pods/bound/binding', { body: binding });
      assert.equal(again.status, 409);
      const del = await c.req('DELETE', '/api/v1/namespaces/default/pods/bound');
      assert.equal(del.status, 202);
      assert.ok(del.json().metadata.deletionTimestamp);
      assert.equal(del.json().metadata.deletionGracePeriodSeconds, 30);
      assert.equal((await c.req('GET', '/api/v1/namespaces/default/pods/bound')).status, 200);
      const now = await c.req('DELETE', '/api/v1/namespaces/default/pods/bound', { body: { gracePeriodSeconds: 0 } });
      assert.equal(now.status, 200);
      assert.equal((await c.req('GET', '/api/v1/namespaces/default/pods/bound')).status, 404);
    });
    it('deletes an unbound pod at once', async () => {
      await c.req('POST', '/api/v1/namespaces/default/pods', { body: pod('unbound') });
      assert.equal((await c.req('DELETE', '/api/v1/namespaces/default/pods/unbound')).status, 200);
      assert.equal((await c.req('GET', '/api/v1/namespaces/default/pods/unbound')).status, 404);
    });
  });

  describe('finalizers, propagation and preconditions', () => {
    it('keeps an object with finalizers until the last one goes', async () => {
      await c.req('POST', '/api/v1/namespaces/default/pods', { body: { ...pod('fin'), metadata: { name: 'fin', finalizers: ['example.com/hold'] } } });
      const del = await c.req('DELETE', '/api/v1/namespaces/default/pods/fin');
      assert.equal(del.status, 202);
      const held = (await c.req('GET', '/api/v1/namespaces/default/pods/fin')).json();
      assert.ok(held.metadata.deletionTimestamp);
      held.metadata.finalizers = [];
      const u = await c.req('PUT', '/api/v1/namespaces/default/pods/fin', { body: held });
      assert.equal(u.status, 200);
      assert.equal((await c.req('GET', '/api/v1/namespaces/default/pods/fin')).status, 404);
    });
    it('adds the orphan finalizer for propagationPolicy=Orphan', async () => {
      await c.req('POST', '/apis/apps/v1/namespaces/default/replicasets', {
        body: {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          metadata: { name: 'orph' },
          spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
        },
      });
      const del = await c.req('DELETE', '/apis/apps/v1/namespaces/default/replicasets/orph', { body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Orphan' } });
      assert.equal(del.status, 202);
      assert.deepEqual(del.json().metadata.finalizers, ['orphan']);
    });
    it('checks uid and resourceVersion preconditions', async () => {
      await c.req('POST', '/api/v1/namespaces/default/pods', { body: pod('pre') });
      const r = await c.req('DELETE', '/api/v1/namespaces/default/pods/pre', { body: { preconditions: { uid: 'not-it' } } });
      assert.equal(r.status, 409);
      assert.match(r.json().message, /Precondition failed: UID in precondition: not-it/);
    });
  });

  describe('lists', () => {
    it('pages with limit/continue and filters by label and field selectors', async () => {
      await c.req('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'paging' } } });
      for (let i = 0; i < 7; i++) {
        await c.req('POST', '/api/v1/namespaces/paging/pods', { body: pod(`p${i}`, { app: i % 2 ? 'odd' : 'even', tier: 'x' }) });
      }
      const first = (await c.req('GET', '/api/v1/namespaces/paging/pods?limit=3')).json();
      assert.equal(first.items.length, 3);
      assert.ok(first.metadata.continue);
      assert.equal(first.metadata.remainingItemCount, 4);
      const second = (await c.req('GET', `/api/v1/namespaces/paging/pods?limit=3&continue=${encodeURIComponent(first.metadata.continue)}`)).json();
      assert.equal(second.metadata.remainingItemCount, 1);
      const third = (await c.req('GET', `/api/v1/namespaces/paging/pods?limit=3&continue=${encodeURIComponent(second.metadata.continue)}`)).json();
      assert.equal(third.metadata.continue, undefined);
      const names = [...first.items, ...second.items, ...third.items].map((p: { metadata: { name: string } }) => p.metadata.name);
      assert.deepEqual(names, ['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
      const odd = (await c.req('GET', '/api/v1/namespaces/paging/pods?labelSelector=app%3Dodd')).json();
      assert.equal(odd.items.length, 3);
      const setBased = (await c.req('GET', `/api/v1/namespaces/paging/pods?labelSelector=${encodeURIComponent('app in (odd),tier')}`)).json();
      assert.equal(setBased.items.length, 3);
      const byName = (await c.req('GET', '/api/v1/pods?fieldSelector=metadata.name%3Dp4')).json();
      assert.equal(byName.items.length, 1);
      const pending = (await c.req('GET', '/api/v1/namespaces/paging/pods?fieldSelector=status.phase%3DPending')).json();
      assert.equal(pending.items.length, 7);
    });
    it('answers Tables with columns and partial object metadata', async () => {
      const accept = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';
      const t = (await c.req('GET', '/api/v1/namespaces/paging/pods', { headers: { Accept: accept } })).json();
      assert.equal(t.kind, 'Table');
      assert.deepEqual(t.columnDefinitions.filter((d: { priority: number }) => d.priority === 0).map((d: { name: string }) => d.name), ['Name', 'Ready', 'Status', 'Restarts', 'Age']);
      assert.equal(t.rows[0].object.kind, 'PartialObjectMetadata');
      const none = (await c.req('GET', '/api/v1/namespaces/paging/pods?includeObject=None', { headers: { Accept: accept } })).json();
      assert.equal(none.rows[0].object, undefined);
    });
  });

  describe('namespaces', () => {
    it('empties a deleted namespace, then removes it', async () => {
      await c.req('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'doomed' } } });
      await c.req('POST', '/api/v1/namespaces/doomed/pods', { body: pod('a') });
      const del = await c.req('DELETE', '/api/v1/namespaces/doomed');
      assert.equal(del.status, 202);
      assert.equal(del.json().status.phase, 'Terminating');
      const refused = await c.req('POST', '/api/v1/namespaces/doomed/pods', { body: pod('b') });
      assert.ok(refused.status === 403 || refused.status === 404, `status ${refused.status}`);
      await eventually(async () => (await c.req('GET', '/api/v1/namespaces/doomed')).status === 404, 'namespace removal');
      assert.equal((await c.req('GET', '/api/v1/namespaces/doomed/pods/a')).status, 404);
    });
    it('refuses to delete default', async () => {
      const r = await c.req('DELETE', '/api/v1/namespaces/default');
      assert.equal(r.status, 403);
    });
  });

  describe('watch', () => {
    it('sends ADDED, MODIFIED, DELETED from a resourceVersion, with bookmarks', async () => {
      await c.req('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'w' } } });
      const list = (await c.req('GET', '/api/v1/namespaces/w/pods')).json();
      const w = c.watch(`/api/v1/namespaces/w/pods?watch=1&resourceVersion=${list.metadata.resourceVersion}&allowWatchBookmarks=true`);
      assert.equal(await w.status, 200);
      const created = (await c.req('POST', '/api/v1/namespaces/w/pods', { body: pod('x') })).json();
      const upd = { ...created, metadata: { ...created.metadata, labels: { a: 'b' } } };
      await c.req('PUT', '/api/v1/namespaces/w/pods/x', { body: upd });
      await c.req('DELETE', '/api/v1/namespaces/w/pods/x');
      await eventually(() => w.events.filter((e) => e.type !== 'BOOKMARK').length >= 3, 'three events');
      assert.deepEqual(w.events.filter((e) => e.type !== 'BOOKMARK').map((e) => e.type), ['ADDED', 'MODIFIED', 'DELETED']);
      assert.equal(w.events[0].object.metadata.resourceVersion, created.metadata.resourceVersion);
      w.close();
    });
    it('sends initial state when no resourceVersion is given, filtered by selector transitions', async () => {
      await c.req('POST', '/api/v1/namespaces/w/pods', { body: pod('sel', { app: 'a' }) });
      const w = c.watch('/api/v1/namespaces/w/pods?watch=1&labelSelector=app%3Da');
      await eventually(() => w.events.length >= 1, 'initial ADDED');
      assert.equal(w.events[0].type, 'ADDED');
      const cur = (await c.req('GET', '/api/v1/namespaces/w/pods/sel')).json();
      cur.metadata.labels = { app: 'b' };
      await c.req('PUT', '/api/v1/namespaces/w/pods/sel', { body: cur });
      await eventually(() => w.events.length >= 2, 'DELETED on leaving the selector');
      assert.equal(w.events[1].type, 'DELETED');
      w.close();
    });
    it('sends table rows when asked', async () => {
      const w = c.watch('/api/v1/namespaces/w/pods?watch=1', { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
      await eventually(() => w.events.length >= 1, 'a table event');
      assert.equal(w.events[0].object.kind, 'Table');
      assert.equal(w.events[0].object.rows.length, 1);
      w.close();
    });
    it('answers a compacted resourceVersion with 410 Expired', async () => {
      const rev = await c.cluster.store.currentRevision();
      await c.cluster.store.compact(rev);
      const w = c.watch('/api/v1/namespaces/w/pods?watch=1&resourceVersion=1');
      await w.ended;
      const err = w.events.find((e) => e.type === 'ERROR');
      assert.ok(err, JSON.stringify(w.events));
      assert.equal(err.object.code, 410);
      assert.equal(err.object.reason, 'Expired');
      const list = await c.req('GET', '/api/v1/namespaces/w/pods?resourceVersion=1&resourceVersionMatch=Exact');
      assert.equal(list.status, 410);
    });
    it('ends at timeoutSeconds', async () => {
      const w = c.watch('/api/v1/namespaces/w/pods?watch=1&timeoutSeconds=1');
      await w.ended;
      assert.ok(true);
    });
  });
});

describe('API server: field validation, initial events, collections, logs, tokens', () => {
  let c: InProcessCluster;
  before(async () => {
    c = await InProcessCluster.start();
  });
  after(async () => {
    await c.stop();
  });

  it('warns about unknown fields with fieldValidation=Warn and ignores them with Ignore', async () => {
    const body = { ...pod('warned'), spec: { containers: [{ name: 'c', image: 'nginx' }], containres: [] } };
    const warn = await c.req('POST', '/api/v1/namespaces/default/pods?fieldValidation=Warn', { body });
    assert.equal(warn.status, 201);
    assert.equal(warn.headers.warning, '299 - "unknown field \\"spec.containres\\""');
    const ignore = await c.req('POST', '/api/v1/namespaces/default/pods?fieldValidation=Ignore', { body: { ...body, metadata: { name: 'ignored' } } });
    assert.equal(ignore.status, 201);
    assert.equal(ignore.headers.warning, undefined);
    const strict = await c.req('POST', '/api/v1/namespaces/default/pods?fieldValidation=Strict', { body: { ...body, metadata: { name: 'strict' } } });
    assert.equal(strict.status, 400);
    assert.equal(strict.json().message, 'strict decoding error: unknown field "spec.containres"');
    assert.equal((await c.req('GET', '/api/v1/namespaces/default/pods/strict')).status, 404);
  });

  it('keeps the unknown-field warnings on a write that fails (create, update, patch)', async () => {
    const warning = '299 - "unknown field \\"spec.containres\\""';
    // The name is taken (the test above created it): 409 AlreadyExists, with the warning.
    const body = { ...pod('warned'), spec: { containers: [{ name: 'c', image: 'nginx' }], containres: [] } };
    const create = await c.req('POST', '/api/v1/namespaces/default/pods?fieldValidation=Warn', { body });
    assert.equal(create.status, 409);
    assert.equal(create.headers.warning, warning);
    // A stale resourceVersion: 409 Conflict, with the warning.
    const update = await c.req('PUT', '/api/v1/namespaces/default/pods/warned', { body: { ...body, metadata: { name: 'warned', resourceVersion: '1' } } });
    assert.equal(update.status, 409);
    assert.equal(update.headers.warning, warning);
    // An invalid change (containers may not be added to a pod): 422 Invalid, with the warning.
    const patch = await c.req('PATCH', '/api/v1/namespaces/default/pods/warned', {
      body: { spec: { containres: [], containers: [{ name: 'c', image: 'nginx' }, { name: 'd', image: 'nginx' }] } },
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    assert.equal(patch.status, 422);
    assert.equal(patch.headers.warning, warning);
  });

  it('answers fields of the wrong type with a 400 Status naming the field', async () => {
    const r = await c.req('POST', '/apis/apps/v1/namespaces/default/deployments', {
      body: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'typed' }, spec: { replicas: 'three' } },
    });
    assert.equal(r.status, 400);
    assert.equal(r.json().reason, 'BadRequest');
    assert.match(r.json().message, /spec\.replicas/);
  });

  it('sends initial events and the initial-events-end bookmark with sendInitialEvents', async () => {
    await c.req('POST', '/api/v1/namespaces/default/pods', { body: pod('initial') });
    const w = c.watch('/api/v1/namespaces/default/pods?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true');
    await eventually(() => w.events.some((e) => e.type === 'BOOKMARK'), 'initial-events-end bookmark');
    const bookmark = w.events.find((e) => e.type === 'BOOKMARK');
    assert.equal(bookmark.object.metadata.annotations['k8s.io/initial-events-end'], 'true');
    assert.ok(w.events.some((e) => e.type === 'ADDED' && e.object.metadata.name === 'initial'));
    w.close();
  });

  it('deletes a collection by label selector', async () => {
    await c.req('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'coll' } } });
    for (const [name, app] of [['c1', 'gone'], ['c2', 'gone'], ['c3', 'stays']]) {
      await c.req('POST', '/api/v1/namespaces/coll/pods', { body: pod(name, { app }) });
    }
    const r = await c.req('DELETE', '/api/v1/namespaces/coll/pods?labelSelector=app%3Dgone');
    assert.equal(r.status, 200);
    assert.equal(r.json().items.length, 2);
    const left = (await c.req('GET', '/api/v1/namespaces/coll/pods')).json();
    assert.deepEqual(left.items.map((p: { metadata: { name: string } }) => p.metadata.name), ['c3']);
  });

  it('explains why pods/log cannot be served when the pod has no node or the node no endpoint', async () => {
    await c.req('POST', '/api/v1/namespaces/default/pods', { body: pod('logless') });
    const unbound = await c.req('GET', '/api/v1/namespaces/default/pods/logless/log');
    assert.equal(unbound.status, 400);
    assert.equal(unbound.json().message, 'pod logless does not have a host assigned');
    await c.req('POST', '/api/v1/nodes', { body: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'no-endpoint' } } });
    await c.req('POST', '/api/v1/namespaces/default/pods/logless/binding', { body: { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'logless' }, target: { kind: 'Node', name: 'no-endpoint' } } });
    const noEndpoint = await c.req('GET', '/api/v1/namespaces/default/pods/logless/log');
    assert.equal(noEndpoint.status, 503);
    assert.match(noEndpoint.json().message, /node "no-endpoint" has no kubelet endpoint/);
  });

  it('proxies pods/log to the node agent with the kubelet client certificate', async () => {
    const { createServer } = await import('node:https');
    const { readFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const pki = join(c.dataDir, 'pki');
    const seen: { path: string; cn: string }[] = [];
    const kubelet = createServer(
      { cert: await readFile(join(pki, 'apiserver.crt')), key: await readFile(join(pki, 'apiserver.key')), requestCert: true, rejectUnauthorized: false },
      (req, res) => {
        const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate();
        seen.push({ path: req.url ?? '', cn: String(peer.subject?.CN ?? '') });
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end('line one\nline two\n');
      },
    );
    await new Promise<void>((r) => kubelet.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (kubelet.address() as { port: number }).port;
      await c.req('POST', '/api/v1/nodes', { body: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'with-endpoint' } } });
      const node = (await c.req('GET', '/api/v1/nodes/with-endpoint')).json();
      node.status = { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: port } } };
      assert.equal((await c.req('PUT', '/api/v1/nodes/with-endpoint/status', { body: node })).status, 200);
      await c.req('POST', '/api/v1/namespaces/default/pods', { body: pod('logged') });
      await c.req('POST', '/api/v1/namespaces/default/pods/logged/binding', { body: { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'logged' }, target: { kind: 'Node', name: 'with-endpoint' } } });
      const r = await c.req('GET', '/api/v1/namespaces/default/pods/logged/log?tailLines=2&timestamps=true');
      assert.equal(r.status, 200);
      assert.equal(r.body, 'line one\nline two\n');
      assert.deepEqual(seen, [{ path: '/containerLogs/default/logged/c?tailLines=2&timestamps=true', cn: 'kube-apiserver-kubelet-client' }]);
    } finally {
      kubelet.close();
    }
  });

  it('accepts tokens added at run time (e.g. a node-join token)', async () => {
    const token = await c.cluster.context.ensureToken('system:node:join', ['system:bootstrappers']);
    assert.equal((await c.req('GET', '/api/v1/namespaces', { token })).status, 200);
    assert.equal(await c.cluster.context.ensureToken('system:node:join', ['system:bootstrappers']), token);
  });
});
