import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from './clock.js';
import { Expectations } from './expectations.js';

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
