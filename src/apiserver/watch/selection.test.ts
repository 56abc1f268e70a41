import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KeyValue } from '../../storage/store.js';
import { MatchMemory, metadataOnly, storedMetadataJson } from './selection.js';

const kv = (key: string, modRevision: number, text = '{}'): KeyValue => ({ key, value: Buffer.from(text), createRevision: 1, modRevision });

describe('storedMetadataJson', () => {
  const cases: Array<{ name: string; text: string; want: string | undefined }> = [
    { name: 'plain', text: '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","labels":{"app":"x"}},"spec":{}}', want: '{"name":"a","labels":{"app":"x"}}' },
    { name: 'braces and quotes inside strings', text: '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","annotations":{"j":"{\\"k\\":\\"}}\\\\\\"\\"}"}},"spec":{"x":"}"}}', want: '{"name":"a","annotations":{"j":"{\\"k\\":\\"}}\\\\\\"\\"}"}}' },
    { name: 'multi-byte text', text: '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","annotations":{"note":"日本語 {鯨} 🐋\\"}"}},"spec":{"x":"ü"}}', want: '{"name":"a","annotations":{"note":"日本語 {鯨} 🐋\\"}"}}' },
    { name: 'metadata last', text: '{"apiVersion":"v1","kind":"Pod","metadata":{}}', want: '{}' },
    { name: 'another layout', text: '{"kind":"Pod","apiVersion":"v1","metadata":{"name":"a"}}', want: undefined },
    { name: 'metadata not an object', text: '{"apiVersion":"v1","kind":"Pod","metadata":null}', want: undefined },
    { name: 'truncated', text: '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"', want: undefined },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = storedMetadataJson(c.text);
      assert.equal(got, c.want);
      if (got !== undefined) assert.deepEqual(JSON.parse(got), JSON.parse(c.text).metadata);
    });
  }
  it('metadataOnly parses the metadata of stored bytes, or gives up', () => {
    const bytes = Buffer.from('{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","labels":{"app":"x"}},"spec":{"containers":[]}}');
    assert.deepEqual(metadataOnly(bytes), { metadata: { name: 'a', labels: { app: 'x' } } });
    assert.equal(metadataOnly(Buffer.from('{"metadata":{}}')), undefined);
  });
});

describe('MatchMemory', () => {
  it('knows nothing of versions before the watch started, without an initial list', () => {
    const m = new MatchMemory(10);
    assert.equal(m.previousMatched(kv('/pods/default/a', 9)), undefined);
    m.record('/pods/default/a', 10, true);
    assert.equal(m.previousMatched(kv('/pods/default/a', 10)), true);
    m.record('/pods/default/a', 11, false);
    assert.equal(m.previousMatched(kv('/pods/default/a', 11)), false);
    m.record('/pods/default/a', 12, true);
    assert.equal(m.previousMatched(kv('/pods/default/a', 12)), true);
    m.record('/pods/default/a', 13, false); // deleted
    assert.equal(m.previousMatched(kv('/pods/default/a', 12)), false);
  });
  it('after an initial list knows every older version: listed ones matched, others did not', () => {
    const m = new MatchMemory(21);
    m.seedFromList([['/pods/default/a', 7], ['/pods/default/b', 20]]);
    assert.equal(m.previousMatched(kv('/pods/default/a', 7)), true);
    assert.equal(m.previousMatched(kv('/pods/default/b', 20)), true);
    assert.equal(m.previousMatched(kv('/pods/default/c', 15)), false);
    m.record('/pods/default/a', 21, false);
    assert.equal(m.previousMatched(kv('/pods/default/a', 21)), false);
  });
});
