// Selector watches over HTTPS: ADDED / MODIFIED / DELETED as an object enters, stays in and leaves
// a label or field selector, with and without an initial list, and two watches sharing events.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually } from '../support/cluster.js';
import { InProcessCluster } from '../support/inproc.js';

interface Pod {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string>; resourceVersion?: string };
  spec: { containers: Array<{ name: string; image: string }>; nodeName?: string };
}

const pod = (name: string, labels: Record<string, string> = {}): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels },
  spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] },
});

describe('selector watches', () => {
  let c: InProcessCluster;
  const ns = '/api/v1/namespaces/sel/pods';
  before(async () => {
    c = await InProcessCluster.start();
    await c.req('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sel' } } });
  });
  after(async () => {
    await c.stop();
  });

  async function relabel(name: string, labels: Record<string, string>, annotations?: Record<string, string>): Promise<void> {
    const cur = (await c.req('GET', `${ns}/${name}`)).json() as Pod;
    cur.metadata.labels = labels;
    if (annotations) cur.metadata.annotations = annotations;
    const r = await c.req('PUT', `${ns}/${name}`, { body: cur });
    assert.equal(r.status, 200, r.body);
  }
  const seen = (w: { events: Array<{ type: string; object: Pod }> }) =>
    w.events.filter((e) => e.type !== 'BOOKMARK').map((e) => `${e.type} ${e.object.metadata.name} ${e.object.metadata.labels?.['app'] ?? '-'}`);

  it('from a resourceVersion: objects written before the watch, then entering, staying and leaving', async () => {
    await c.req('POST', ns, { body: pod('early', { app: 'web' }) });
    await c.req('POST', ns, { body: pod('early-other', { app: 'db' }) });
    const rv = (await c.req('GET', ns)).json().metadata.resourceVersion as string;
    const w = c.watch(`${ns}?watch=1&resourceVersion=${rv}&labelSelector=app%3Dweb`);
    assert.equal(await w.status, 200);
    await relabel('early', { app: 'web' }, { touched: '1' }); // matched before the watch began: MODIFIED
    await relabel('early-other', { app: 'web' }); // enters: ADDED
    await relabel('early', { app: 'db' }); // leaves: DELETED
    await relabel('early', { app: 'db' }, { touched: '2' }); // outside before and after: nothing
    await relabel('early', { app: 'web' }); // back: ADDED
    await c.req('DELETE', `${ns}/early-other`); // deleted while matching: DELETED
    await c.req('POST', ns, { body: pod('late-other', { app: 'db' }) }); // never matches
    await c.req('DELETE', `${ns}/late-other`);
    await c.req('DELETE', `${ns}/early`);
    const want = ['MODIFIED early web', 'ADDED early-other web', 'DELETED early db', 'ADDED early web', 'DELETED early-other web', 'DELETED early web'];
    await eventually(() => seen(w).length >= want.length, 'six events');
    assert.deepEqual(seen(w), want);
    w.close();
  });

  it('with an initial list: listed objects, then transitions', async () => {
    await c.req('POST', ns, { body: pod('listed', { app: 'api' }) });
    await c.req('POST', ns, { body: pod('unlisted', { app: 'db' }) });
    const w = c.watch(`${ns}?watch=1&labelSelector=app%3Dapi`);
    await eventually(() => seen(w).length >= 1, 'initial ADDED');
    await relabel('listed', { app: 'api' }, { touched: '1' }); // MODIFIED
    await relabel('unlisted', { app: 'api' }); // ADDED
    await relabel('listed', { app: 'db' }); // DELETED
    await c.req('DELETE', `${ns}/unlisted`); // DELETED
    await c.req('DELETE', `${ns}/listed`); // not matching any more: nothing
    const want = ['ADDED listed api', 'MODIFIED listed api', 'ADDED unlisted api', 'DELETED listed db', 'DELETED unlisted api'];
    await eventually(() => seen(w).length >= want.length, 'five events');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(seen(w), want);
    w.close();
  });

  it('a field selector (spec.nodeName) and a label selector watching the same changes', async () => {
    const byNode = c.watch(`${ns}?watch=1&fieldSelector=spec.nodeName%3Dn1`);
    const byLabel = c.watch(`${ns}?watch=1&labelSelector=app%20in%20(x,y)`);
    assert.equal(await byNode.status, 200);
    assert.equal(await byLabel.status, 200);
    const p = pod('placed', { app: 'x' });
    p.spec.nodeName = 'n1';
    await c.req('POST', ns, { body: p });
    await relabel('placed', { app: 'y' });
    await relabel('placed', { app: 'z' });
    await c.req('DELETE', `${ns}/placed?gracePeriodSeconds=0`);
    await eventually(() => seen(byNode).length >= 4 && seen(byLabel).length >= 3, 'events on both watches');
    assert.deepEqual(seen(byNode), ['ADDED placed x', 'MODIFIED placed y', 'MODIFIED placed z', 'DELETED placed z']);
    assert.deepEqual(seen(byLabel), ['ADDED placed x', 'MODIFIED placed y', 'DELETED placed z']);
    // Objects on the wire are whole, not the metadata the selector read.
    const added = byLabel.events.find((e) => e.type === 'ADDED');
    assert.equal(added.object.spec.containers[0].name, 'c');
    assert.equal(added.object.kind, 'Pod');
    byNode.close();
    byLabel.close();
  });
});
