import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planRotation, rotationStamp, validateLogRotation, type RotationPlan } from './logrotation.js';

// 2026-01-02 03:04:05 in the machine's local time, as the kubelet stamps rotated files.
const now = new Date(2026, 0, 2, 3, 4, 5);
const stamp = '20260102-030405';

describe('planRotation', () => {
  const policy = { maxSizeBytes: 1000, maxFiles: 3 };
  const cases: { name: string; size: number; siblings: string[]; maxFiles?: number; want: RotationPlan | null }[] = [
    { name: 'under the size: nothing', size: 999, siblings: ['0.log'], want: null },
    { name: 'at the size, first rotation', size: 1000, siblings: ['0.log'], want: { remove: [], compress: [], rotateTo: `0.log.${stamp}` } },
    {
      name: 'the previous rotated file is compressed',
      size: 5000, siblings: ['0.log', '0.log.20260101-100000'],
      want: { remove: [], compress: ['0.log.20260101-100000'], rotateTo: `0.log.${stamp}` },
    },
    {
      name: 'max files 3: one older file may stay, the oldest goes',
      size: 5000, siblings: ['0.log', '0.log.20260101-100000.gz', '0.log.20260101-110000'],
      want: { remove: ['0.log.20260101-100000.gz'], compress: ['0.log.20260101-110000'], rotateTo: `0.log.${stamp}` },
    },
    {
      name: 'max files 2: no older file stays',
      size: 5000, siblings: ['0.log', '0.log.20260101-110000'], maxFiles: 2,
      want: { remove: ['0.log.20260101-110000'], compress: [], rotateTo: `0.log.${stamp}` },
    },
    {
      name: 'left-overs of an interrupted compression are removed',
      size: 5000, siblings: ['0.log', '0.log.20260101-110000', '0.log.20260101-110000.gz', '0.log.20260101-120000.tmp'],
      want: { remove: ['0.log.20260101-110000', '0.log.20260101-120000.tmp'], compress: [], rotateTo: `0.log.${stamp}` },
    },
    {
      name: 'other containers\' files and attempts are left alone',
      size: 5000, siblings: ['0.log', '1.log', '1.log.20260101-110000', '10.log.20260101-110000'],
      want: { remove: [], compress: [], rotateTo: `0.log.${stamp}` },
    },
    { name: 'a rotation in the same second waits', size: 5000, siblings: ['0.log', `0.log.${stamp}`], want: null },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(planRotation('0.log', c.size, c.siblings, now, { ...policy, maxFiles: c.maxFiles ?? policy.maxFiles }), c.want));
  }
});

describe('rotationStamp and validateLogRotation', () => {
  it('uses the Go layout 20060102-150405', () => assert.equal(rotationStamp(new Date(2026, 10, 27, 14, 0, 9)), '20261127-140009'));
  const cases = [
    { policy: { maxSizeBytes: 10 * 1024 * 1024, maxFiles: 5 }, want: null },
    { policy: { maxSizeBytes: 1024, maxFiles: 1 }, want: 'invalid container log max files 1, must be greater than 1' },
    { policy: { maxSizeBytes: 0, maxFiles: 5 }, want: 'invalid container log max size 0, must be positive' },
  ];
  for (const c of cases) it(JSON.stringify(c.policy), () => assert.equal(validateLogRotation(c.policy), c.want));
});
