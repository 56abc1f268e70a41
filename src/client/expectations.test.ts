import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from './clock.js';
import { Expectations, WrittenVersions } from './expectations.js';

test('creations are counted down as they are observed', () => {
  const e = new Expectations();
  assert.equal(e.satisfied('ns/rs'), true, 'no record = satisfied');
  e.expectCreations('ns/rs', 2);
  assert.equal(e.satisfied('ns/rs'), false);
  e.creationObserved('ns/rs');
  assert.equal(e.satisfied('ns/rs'), false);
  e.creationObserved('ns/rs');
  assert.equal(e.satisfied('ns/rs'), true);
  e.creationObserved('ns/rs'); // extra observations do not go negative
  assert.deepEqual(e.pending('ns/rs'), { adds: 0, dels: 0 });
});

test('deletions are tracked by dependent key and counted once', () => {
  const e = new Expectations();
  e.expectDeletions('ns/rs', ['ns/p1', 'ns/p2']);
  e.deletionObserved('ns/rs', 'ns/p1');
  e.deletionObserved('ns/rs', 'ns/p1');
  e.deletionObserved('ns/rs', 'ns/unrelated');
  assert.equal(e.satisfied('ns/rs'), false);
  e.deletionObserved('ns/rs', 'ns/p2');
  assert.equal(e.satisfied('ns/rs'), true);
});

test('failed writes lower expectations', () => {
  const e = new Expectations();
  e.expectCreations('k', 3);
  e.lowerExpectations('k', 2);
  e.creationObserved('k');
  assert.equal(e.satisfied('k'), true);
});

test('expectations expire after 5 minutes', () => {
  const clock = new FakeClock();
  const e = new Expectations({ clock });
  e.expectCreations('k', 1);
  clock.advance(5 * 60 * 1000);
  assert.equal(e.satisfied('k'), false);
  clock.advance(1);
  assert.equal(e.satisfied('k'), true);
  e.delete('k');
  assert.equal(e.pending('k'), undefined);
});

test('written versions are pending until the cache holds each object at least at that version', () => {
  const clock = new FakeClock(0);
  const w = new WrittenVersions({ clock, ttlMs: 1000 });
  const cache = new Map<string, string>([['a', '9']]);
  const pending = () => w.pending('ns/web', (uid) => cache.get(uid));
  w.written('ns/web', { metadata: { uid: 'a', resourceVersion: '10' } });
  w.written('ns/web', { metadata: { uid: 'b', resourceVersion: '11' } }); // created, not yet seen
  w.written('ns/web', { metadata: { uid: 'a', resourceVersion: '7' } }); // an older answer never lowers the bar
  assert.deepEqual(pending(), ['a', 'b']);
  cache.set('a', '12'); // a later write by someone else also counts as caught up
  assert.deepEqual(pending(), ['b']);
  // Versions are compared as integers of any size, not as strings or doubles.
  w.written('ns/big', { metadata: { uid: 'x', resourceVersion: '9007199254740993' } });
  assert.deepEqual(w.pending('ns/big', () => '9007199254740992'), ['x']);
  assert.deepEqual(w.pending('ns/big', () => '10000000000000000'), []);
  // Deleted before we saw it: nothing to wait for. Lost events: the record expires.
  w.forgetObject('ns/web', 'b');
  assert.deepEqual(pending(), []);
  w.written('ns/web', { metadata: { uid: 'c', resourceVersion: '20' } });
  clock.advance(1001);
  assert.deepEqual(pending(), []);
});
