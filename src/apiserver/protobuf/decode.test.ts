import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ApiError } from '../../api/errors.js';
import { decodeProtobufBody } from './decode.js';

// A minimal protobuf writer for building test bodies.
function varint(n: bigint): number[] {
  const out: number[] = [];
  let v = BigInt.asUintN(64, n);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
}
const int = (field: number, n: number | bigint) => [...varint(BigInt(field << 3)), ...varint(BigInt(n))];
const bytes = (field: number, b: number[] | Buffer) => [...varint(BigInt((field << 3) | 2)), ...varint(BigInt(b.length)), ...b];
const str = (field: number, s: string) => bytes(field, Buffer.from(s));
const envelope = (apiVersion: string, kind: string, raw: number[]) =>
  Buffer.from([0x6b, 0x38, 0x73, 0x00, ...bytes(1, [...str(1, apiVersion), ...str(2, kind)]), ...bytes(2, raw)]);

it('decodes a Deployment: maps, times, int-or-string, quantities, meaningful zeros', () => {
  const meta = [...str(1, 'web'), ...str(2, ''), ...bytes(8, []), ...bytes(11, [...str(1, 'app'), ...str(2, 'web')])];
  const container = [
    ...str(1, 'nginx'),
    ...str(2, 'nginx:1.25'),
    // resources.requests = {cpu: 100m}
    ...bytes(8, bytes(2, [...str(1, 'cpu'), ...bytes(2, str(1, '100m'))])),
  ];
  const podSpec = [...bytes(2, container), ...int(4, -1n)]; // terminationGracePeriodSeconds (field 4) = -1
  const template = [...bytes(1, str(1, '')), ...bytes(2, podSpec)];
  const strategy = [...str(1, 'RollingUpdate'), ...bytes(2, [...bytes(1, [...int(1, 1), ...str(3, '25%')]), ...bytes(2, [...int(1, 0), ...int(2, 2)])])];
  const spec = [...int(1, 0), ...bytes(2, bytes(1, [...str(1, 'app'), ...str(2, 'web')])), ...bytes(3, template), ...bytes(4, strategy)];
  const obj = decodeProtobufBody(envelope('apps/v1', 'Deployment', [...bytes(1, meta), ...bytes(2, spec)]));
  assert.deepEqual(obj, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: {}, spec: { containers: [{ name: 'nginx', image: 'nginx:1.25', resources: { requests: { cpu: '100m' } } }], terminationGracePeriodSeconds: -1 } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: 2 } },
    },
  });
});

it('decodes metav1.Time as RFC 3339 and rejects bodies without the magic prefix', () => {
  const meta = [...str(1, 'n'), ...bytes(8, [...int(1, 1_700_000_000)])];
  const obj = decodeProtobufBody(envelope('v1', 'Namespace', bytes(1, meta)));
  assert.equal(obj.metadata?.creationTimestamp, '2023-11-14T22:13:20Z');
  assert.throws(() => decodeProtobufBody(Buffer.from('{}')), (e: unknown) => e instanceof ApiError && e.code === 400);
  assert.throws(() => decodeProtobufBody(envelope('v1', 'Nonsense', [])), (e: unknown) => e instanceof ApiError && e.code === 400);
});
