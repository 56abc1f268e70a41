import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { ApiError } from '../../api/errors.js';
import { goDuration } from './decode.js';
import { decodeKubernetesProtobuf, isKubernetesProtobuf } from './index.js';
import { dropNulls } from './fixtures.js';
import { KINDS, MESSAGES, META_KINDS } from './schema.js';

const TESTDATA = join(dirname(fileURLToPath(import.meta.url)), '../../../../src/apiserver/protobuf/testdata');

// Hand-made wire bytes for cases kubectl never sends. Only the few primitives a test needs.
function varint(n: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}
const num = (field: number, n: number | bigint) => [...varint(field * 8), ...varint(n)];
const bytes = (field: number, payload: number[] | Uint8Array) => [...varint(field * 8 + 2), ...varint(payload.length), ...payload];
const str = (field: number, s: string) => bytes(field, [...Buffer.from(s, 'utf8')]);
function envelope(apiVersion: string, kind: string, raw: number[]): Uint8Array {
  return Uint8Array.from([0x6b, 0x38, 0x73, 0x00, ...bytes(1, [...str(1, apiVersion), ...str(2, kind)]), ...bytes(2, raw)]);
}

function apiError(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ApiError, `an ApiError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected an error');
}

describe('decodeKubernetesProtobuf: bodies recorded from the real kubectl', () => {
  const files = readdirSync(TESTDATA).filter((f) => f.endsWith('.pb'));
  test('fixtures are present', () => assert.ok(files.length >= 10, `testdata holds ${files.length} bodies`));
  for (const f of files) {
    test(f, () => {
      const body = readFileSync(join(TESTDATA, f));
      const expected = JSON.parse(readFileSync(join(TESTDATA, f.replace(/\.pb$/, '.json')), 'utf8')) as Record<string, unknown>;
      assert.ok(isKubernetesProtobuf(body));
      const decoded = decodeKubernetesProtobuf(body);
      assert.equal(decoded.apiVersion, expected.apiVersion);
      assert.equal(decoded.kind, expected.kind);
      // JSON's null for a nil slice has no protobuf form; everything else matches exactly, and
      // the decoder writes a null only where JSON has one (a zero Time: the templates' creationTimestamp).
      assert.deepEqual(dropNulls(decoded.object), dropNulls(expected));
      const expectedNulls = new Set(nullPaths(expected));
      // (debug-copy's expectation is written by hand, without the zero creationTimestamp Go would print.)
      for (const p of nullPaths(decoded.object)) assert.ok(expectedNulls.has(p) || p.endsWith('.creationTimestamp'), `${p} is null only in the decoded object`);
      for (const p of nullPaths(expected)) if (p.endsWith('.creationTimestamp')) assert.ok(nullPaths(decoded.object).includes(p), `${p} is null in JSON`);
    });
  }
});

function nullPaths(v: unknown, at = ''): string[] {
  if (v === null) return [at];
  if (Array.isArray(v)) return v.flatMap((x, i) => nullPaths(x, `${at}[${i}]`));
  if (typeof v === 'object' && v !== undefined) return Object.entries(v).flatMap(([k, x]) => nullPaths(x, `${at}.${k}`));
  return [];
}

describe('decodeKubernetesProtobuf: JSON forms of special types', () => {
  const timestamp = (seconds: number, nanos = 0) => [...num(1, seconds), ...(nanos ? num(2, nanos) : [])];

  test('Time is RFC 3339 in whole seconds; an empty (zero) Time is null as in JSON; MicroTime keeps microseconds', () => {
    const meta = [...str(1, 'n'), ...bytes(8, []), ...bytes(9, timestamp(1714979289, 987654321))];
    const lease = [
      ...bytes(1, meta),
      ...bytes(2, [...str(1, 'holder'), ...num(2, 15), ...bytes(3, timestamp(1714979289, 123456789)), ...bytes(4, timestamp(1714979290)), ...num(5, 0)]),
    ];
    const { object } = decodeKubernetesProtobuf(envelope('coordination.k8s.io/v1', 'Lease', lease));
    assert.deepEqual(object, {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'n', creationTimestamp: null, deletionTimestamp: '2024-05-06T07:08:09Z' },
      spec: {
        holderIdentity: 'holder',
        leaseDurationSeconds: 15,
        acquireTime: '2024-05-06T07:08:09.123456Z',
        renewTime: '2024-05-06T07:08:10.000000Z',
        leaseTransitions: 0,
      },
    });
  });

  test('zero values: dropped for omitempty non-pointer fields, kept for pointers', () => {
    // ObjectMeta.generation (int64, omitempty) 0 and namespace '' disappear; DeploymentSpec.replicas (*int32) 0 stays,
    // as do minReadySeconds > 0 and paused=false (omitempty bool, dropped).
    const deploy = [...bytes(1, [...str(1, 'd'), ...str(3, ''), ...num(7, 0)]), ...bytes(2, [...num(1, 0), ...num(5, 4), ...num(7, 0)])];
    const { object } = decodeKubernetesProtobuf(envelope('apps/v1', 'Deployment', deploy));
    assert.deepEqual(object, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { replicas: 0, minReadySeconds: 4 } });
  });

  test('IntOrString, Quantity maps, negative int32/int64 and Duration', () => {
    // HPA v2 behavior: stabilizationWindowSeconds (*int32) -1 is a ten-byte varint.
    const rules = [...num(3, -1), ...bytes(2, [...str(1, 'Pods'), ...num(2, 4), ...num(3, 60)])];
    const hpa = [...bytes(1, str(1, 'h')), ...bytes(2, [...bytes(1, [...str(1, 'Deployment'), ...str(2, 'web')]), ...num(3, 5), ...bytes(5, bytes(1, rules))])];
    const { object } = decodeKubernetesProtobuf(envelope('autoscaling/v2', 'HorizontalPodAutoscaler', hpa));
    assert.deepEqual(object.spec, {
      scaleTargetRef: { kind: 'Deployment', name: 'web' },
      maxReplicas: 5,
      behavior: { scaleUp: { stabilizationWindowSeconds: -1, policies: [{ type: 'Pods', value: 4, periodSeconds: 60 }] } },
    });

    const intOrString = (v: number | string) => (typeof v === 'number' ? [...num(1, 0), ...num(2, v)] : [...num(1, 1), ...str(3, v)]);
    const strategy = [...str(1, 'RollingUpdate'), ...bytes(2, [...bytes(1, intOrString(0)), ...bytes(2, intOrString('25%'))])];
    const quantity = (q: string) => str(1, q);
    const entry = (k: string, v: number[]) => bytes(2, [...str(1, k), ...bytes(2, v)]);
    const container = [...str(1, 'c'), ...bytes(8, [...entry('cpu', quantity('250m')), ...entry('memory', quantity('64Mi'))])];
    const podSpec = [...bytes(2, container), ...num(4, -9), ...num(5, 2 ** 40)];
    const deploy = [...bytes(1, str(1, 'd')), ...bytes(2, [...bytes(3, bytes(2, podSpec)), ...bytes(4, strategy)])];
    const d = decodeKubernetesProtobuf(envelope('apps/v1', 'Deployment', deploy)).object;
    assert.deepEqual(d.spec, {
      template: {
        spec: {
          containers: [{ name: 'c', resources: { requests: { cpu: '250m', memory: '64Mi' } } }],
          terminationGracePeriodSeconds: -9,
          activeDeadlineSeconds: 2 ** 40,
        },
      },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '25%' } },
    });

    // No served kind carries a metav1.Duration today; its JSON form is Go's Duration.String().
    const table: [bigint, string][] = [
      [0n, '0s'],
      [1n, '1ns'],
      [1500n, '1.5µs'],
      [2_500_000n, '2.5ms'],
      [1_000_000_000n, '1s'],
      [1_500_000_000n, '1.5s'],
      [60_000_000_000n, '1m0s'],
      [3_600_000_000_000n, '1h0m0s'],
      [3_723_000_000_001n, '1h2m3.000000001s'],
      [-90_000_000_000n, '-1m30s'],
    ];
    for (const [ns, s] of table) assert.equal(goDuration(ns), s, `${ns}ns`);
  });

  test('repeated scalars packed or not, bytes as base64, FieldsV1 as JSON, unknown fields skipped', () => {
    const secCtx = [...bytes(4, [...varint(7), ...varint(2 ** 33)]), ...num(4, 3)];
    const fields = bytes(1, [...Buffer.from('{"f:metadata":{"f:labels":{}}}')]);
    const managed = [...str(1, 'kubectl'), ...str(2, 'Apply'), ...str(6, 'FieldsV1'), ...bytes(7, fields)];
    const pod = [...bytes(1, [...str(1, 'p'), ...bytes(17, managed), ...num(99, 5)]), ...bytes(2, [...bytes(14, secCtx), ...str(999, 'from the future')])];
    const p = decodeKubernetesProtobuf(envelope('v1', 'Pod', pod)).object;
    assert.deepEqual(p.metadata, { name: 'p', managedFields: [{ manager: 'kubectl', operation: 'Apply', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': {} } } }] });
    assert.deepEqual(p.spec, { securityContext: { supplementalGroups: [7, 2 ** 33, 3] } });

    const secret = [...bytes(1, str(1, 's')), ...bytes(2, [...str(1, 'k'), ...bytes(2, [0, 1, 2, 255])]), ...str(3, 'Opaque')];
    const s = decodeKubernetesProtobuf(envelope('v1', 'Secret', secret)).object;
    assert.deepEqual(s, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { k: 'AAEC/w==' }, type: 'Opaque' });
  });

  test('meta kinds decode whatever group version the envelope names', () => {
    const opts = [...num(1, 30), ...bytes(2, [...str(1, 'uid-1'), ...str(2, '7')]), ...str(4, 'Foreground'), ...str(5, 'All')];
    const { object } = decodeKubernetesProtobuf(envelope('apps/v1', 'DeleteOptions', opts));
    assert.deepEqual(object, {
      apiVersion: 'apps/v1',
      kind: 'DeleteOptions',
      gracePeriodSeconds: 30,
      preconditions: { uid: 'uid-1', resourceVersion: '7' },
      propagationPolicy: 'Foreground',
      dryRun: ['All'],
    });
  });
});

describe('decodeKubernetesProtobuf: bad input', () => {
  test('no magic prefix is a 400', () => {
    const e = apiError(() => decodeKubernetesProtobuf(Buffer.from('{"kind":"Pod"}')));
    assert.equal(e.code, 400);
    assert.equal(e.reason, 'BadRequest');
    assert.match(e.message, /prefix/);
  });

  test('truncated and mistyped data are 400s naming the problem', () => {
    const good = envelope('v1', 'Namespace', bytes(1, str(1, 'ns')));
    const cut = apiError(() => decodeKubernetesProtobuf(good.subarray(0, good.length - 2)));
    assert.equal(cut.code, 400);
    assert.match(cut.message, /unable to decode protobuf .*unexpected end of data/);

    const wrongWire = apiError(() => decodeKubernetesProtobuf(envelope('v1', 'Namespace', bytes(1, num(1, 3)))));
    assert.equal(wrongWire.code, 400);
    assert.match(wrongWire.message, /Namespace \(v1\).*meta\.v1\.ObjectMeta\.name has wire type 0, want 2/);

    const badUtf8 = apiError(() => decodeKubernetesProtobuf(envelope('v1', 'Namespace', bytes(1, bytes(1, [0xff, 0xfe])))));
    assert.equal(badUtf8.code, 400);
    assert.match(badUtf8.message, /UTF-8/);

    const badFields = apiError(() => decodeKubernetesProtobuf(envelope('v1', 'Namespace', bytes(1, bytes(17, bytes(7, bytes(1, [...Buffer.from('{nope')])))))));
    assert.equal(badFields.code, 400);
    assert.match(badFields.message, /FieldsV1 does not hold JSON/);

    const group = apiError(() => decodeKubernetesProtobuf(envelope('v1', 'Namespace', [...varint(1 * 8 + 3)])));
    assert.equal(group.code, 400);
    assert.match(group.message, /wire type 3/);

    const noKind = apiError(() => decodeKubernetesProtobuf(Uint8Array.from([0x6b, 0x38, 0x73, 0x00, ...bytes(2, [])])));
    assert.equal(noKind.code, 400);
    assert.match(noKind.message, /Kind/);
  });

  test('a kind without a field table is a 415', () => {
    const e = apiError(() => decodeKubernetesProtobuf(envelope('batch/v1', 'Job', bytes(1, str(1, 'j')))));
    assert.equal(e.code, 415);
    assert.equal(e.reason, 'UnsupportedMediaType');
    assert.match(e.message, /kind "Job" of "batch\/v1"/);
  });
});

describe('protobuf field table', () => {
  const SCALARS = new Set(['string', 'bytes', 'bool', 'int32', 'int64', 'uint32', 'uint64', 'double', 'float']);
  test('every referenced message exists and field numbers are unique', () => {
    for (const [name, rows] of Object.entries(MESSAGES)) {
      const seen = new Set<number>();
      for (const [n, json, type, flags = ''] of rows) {
        assert.ok(!seen.has(n), `${name} field ${n} twice`);
        seen.add(n);
        assert.ok(SCALARS.has(type) || type in MESSAGES, `${name}.${json} refers to ${type}`);
        assert.match(flags, /^[rmiz]*$/);
        assert.equal(json === '', flags.includes('i'), `${name} field ${n}: only inlined fields lack a JSON name`);
      }
    }
    for (const m of Object.values(KINDS)) assert.ok(m in MESSAGES, m);
    for (const k of META_KINDS) assert.ok(`meta.v1.${k}` in MESSAGES, k);
  });

  test('covers the kinds kujira serves', () => {
    for (const k of [
      'v1/Pod',
      'v1/Namespace',
      'v1/Node',
      'v1/Event',
      'v1/Binding',
      'apps/v1/Deployment',
      'apps/v1/ReplicaSet',
      'autoscaling/v1/HorizontalPodAutoscaler',
      'autoscaling/v2/HorizontalPodAutoscaler',
      'autoscaling/v1/Scale',
      'policy/v1/Eviction',
      'coordination.k8s.io/v1/Lease',
      'events.k8s.io/v1/Event',
    ]) {
      assert.ok(k in KINDS, k);
    }
  });
});
