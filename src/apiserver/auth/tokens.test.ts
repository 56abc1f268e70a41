import assert from 'node:assert/strict';
import { it } from 'node:test';
import { formatTokenFile, parseTokenFile, TokenAuthenticator } from './tokens.js';

it('reads and writes Kubernetes static token files', () => {
  const text = '# comment\nabc123,kujira-admin,kujira-admin,"system:masters"\ndef456,system:node:join,join-uid,"system:bootstrappers,extra"\n';
  const entries = parseTokenFile(text);
  assert.deepEqual(entries, [
    { token: 'abc123', user: 'kujira-admin', uid: 'kujira-admin', groups: ['system:masters'] },
    { token: 'def456', user: 'system:node:join', uid: 'join-uid', groups: ['system:bootstrappers', 'extra'] },
  ]);
  assert.deepEqual(parseTokenFile(formatTokenFile(entries)), entries);
  const auth = new TokenAuthenticator(entries);
  assert.equal(auth.authenticate('def456')?.user, 'system:node:join');
  assert.equal(auth.authenticate('def45'), undefined);
});
