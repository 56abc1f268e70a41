import assert from 'node:assert/strict';
import { it } from 'node:test';
import { FlagError, helpText, parseDuration, parseFlags, type FlagSpec } from './flags.js';

const specs: FlagSpec[] = [
  { name: 'port', type: 'int', default: 6443, description: 'port' },
  { name: 'runtime', type: 'string', default: 'auto', choices: ['auto', 'simulated'], description: 'runtime' },
  { name: 'verbose', type: 'bool', default: false, description: 'verbose' },
  { name: 'grace', type: 'duration', default: '40s', description: 'grace' },
];

it('parses flags in both spellings with defaults', () => {
  assert.deepEqual(parseFlags(specs, ['--port=1', '--runtime', 'simulated', '--verbose']), {
    values: { port: 1, runtime: 'simulated', verbose: true, grace: '40s' },
    help: false,
  });
  assert.equal(parseFlags(specs, ['--help']).help, true);
  assert.throws(() => parseFlags(specs, ['--nope']), FlagError);
  assert.throws(() => parseFlags(specs, ['--port', 'x']), /must be an integer/);
  assert.throws(() => parseFlags(specs, ['--runtime', 'docker']), /must be one of auto, simulated/);
  assert.throws(() => parseFlags(specs, ['--grace', '5 minutes']), /invalid duration/);
  for (const s of specs) assert.match(helpText('up', 'x', specs), new RegExp(`--${s.name}`));
});

it('parses Go durations', () => {
  assert.equal(parseDuration('40s'), 40_000);
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('2h'), 7_200_000);
});
