import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OwnerReference } from '../../api/types.js';
import { decide, type OwnerState } from './plan.js';

const ref = (uid: string): OwnerReference => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: uid, uid, controller: true, blockOwnerDeletion: true });
const obj = (finalizers?: string[]) => ({ metadata: { name: 'p', uid: 'p', finalizers } });
const owners = (...states: OwnerState[]) => states.map((state, i) => ({ ref: ref(`o${i}`), state }));

test('garbage collection decisions', () => {
  const table: Array<[string, ReturnType<typeof obj>, ReturnType<typeof owners>, boolean, ReturnType<typeof decide>]> = [
    ['no owners: not a dependent', obj(), [], false, { action: 'none' }],
    ['owner present: keep', obj(), owners('present'), false, { action: 'none' }],
    ['owner kind unknown: keep', obj(), owners('unknown'), false, { action: 'none' }],
    ['owner gone: delete in background', obj(), owners('absent'), false, { action: 'delete', propagationPolicy: 'Background' }],
    ['one owner gone, one present: drop the dangling reference', obj(), owners('present', 'absent'), false, { action: 'removeOwnerRefs', uids: ['o1'] }],
    ['owner deleting in foreground, no own dependents: delete', obj(), owners('deletingDependents'), false, { action: 'delete', propagationPolicy: 'Background' }],
    ['owner deleting in foreground, has dependents: delete in foreground', obj(), owners('deletingDependents'), true, { action: 'delete', propagationPolicy: 'Foreground' }],
    ['own orphan finalizer is honoured', obj(['orphan']), owners('absent'), false, { action: 'delete', propagationPolicy: 'Orphan' }],
    ['present owner plus one waiting: drop the waiting reference', obj(), owners('present', 'deletingDependents'), false, { action: 'removeOwnerRefs', uids: ['o1'] }],
  ];
  for (const [name, o, ow, deps, want] of table) assert.deepEqual(decide(o, ow, deps), want, name);
});
