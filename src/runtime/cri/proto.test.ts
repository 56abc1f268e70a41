import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decode, encode, enumType, message, ProtoError, type ProtoObject } from './proto.js';
import { METHODS } from './schema.js';

// A test message with one field of each kind the codec supports. Expected bytes are written out by hand
// from the protobuf encoding rules (tag = number << 3 | wire type; varints little-endian base 128).
const Color = enumType('Color', ['RED', 'GREEN', 'BLUE']);
const Inner = message('Inner', { value: [1, 'int64'] });
const Sample = message('Sample', {
  i32: [1, 'int32'], u32: [2, 'uint32'], i64: [3, 'int64'], u64: [4, 'uint64'], flag: [5, 'bool'], text: [6, 'string'],
  blob: [7, 'bytes'], color: [8, Color], inner: [9, Inner], nums: [10, 'int32', 'repeated'], words: [11, 'string', 'repeated'],
  inners: [12, Inner, 'repeated'], tags: [13, 'string', 'map'], bigs: [14, 'int64', 'repeated'],
});

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

test('each field kind encodes to the bytes protobuf specifies and decodes back', () => {
  const table: [string, ProtoObject, string, ProtoObject?][] = [
    ['int32 150 (the spec example)', { i32: 150 }, '08 9601'],
    ['int32 -1 is sign-extended to ten bytes', { i32: -1 }, '08 ffffffffffffffffff01'],
    ['int32 -2147483648', { i32: -2147483648 }, '08 80808080f8ffffffff01'],
    ['uint32 4294967295', { u32: 4294967295 }, '10 ffffffff0f'],
    ['int64 as a number', { i64: 300 }, '18 ac02', { i64: '300' }],
    ['int64 -2 (ten bytes, two\'s complement)', { i64: -2 }, '18 feffffffffffffffff01', { i64: '-2' }],
    ['int64 -9223372036854775808', { i64: '-9223372036854775808' }, '18 80808080808080808001'],
    ['int64 9223372036854775807', { i64: '9223372036854775807' }, '18 ffffffffffffffff7f'],
    ['int64 2^53 + 1 stays exact', { i64: '9007199254740993' }, '18 8180808080808010'],
    ['int64 a nanosecond timestamp', { i64: '1764240000123456789' }, '18 959a93cfecddf5bd18'],
    ['int64 from a bigint', { i64: 5n }, '18 05', { i64: '5' }],
    ['uint64 2^64 - 1', { u64: '18446744073709551615' }, '20 ffffffffffffffffff01'],
    ['bool', { flag: true }, '28 01'],
    ['string "testing" (the spec example)', { text: 'testing' }, '32 07 74657374696e67'],
    ['string, UTF-8', { text: 'é' }, '32 02 c3a9'],
    ['bytes', { blob: hex('00ff') }, '3a 02 00ff'],
    ['enum by name', { color: 'BLUE' }, '40 02'],
    ['enum by number', { color: 1 }, '40 01', { color: 'GREEN' }],
    ['a present sub-message with only defaults is still written', { inner: { value: 0 } }, '4a 00', { inner: { value: '0' } }],
    ['a sub-message', { inner: { value: 1 } }, '4a 02 0801', { inner: { value: '1' } }],
    ['repeated int32 is packed (the spec example)', { nums: [3, 270, 86942] }, '52 06 038e029ea705'],
    ['repeated packed negative int32', { nums: [-1] }, '52 0a ffffffffffffffffff01'],
    ['repeated strings, one tag each', { words: ['a', '', 'bc'] }, '5a 01 61 5a 00 5a 02 6263'],
    ['repeated messages', { inners: [{ value: 1 }, {}] }, '62 02 0801 62 00', { inners: [{ value: '1' }, { value: '0' }] }],
    ['map<string, string>', { tags: { a: 'b' } }, '6a 06 0a0161 120162'],
    ['map entry with an empty value', { tags: { k: '' } }, '6a 03 0a016b'],
    ['repeated int64 beyond 2^53', { bigs: ['-1', '18446744073709551615'] }, '72 14 ffffffffffffffffff01 ffffffffffffffffff01', { bigs: ['-1', '-1'] }],
    ['proto3 defaults are left out', { i32: 0, u32: 0, i64: '0', u64: 0, flag: false, text: '', blob: Buffer.alloc(0), color: 'RED', nums: [], tags: {} }, '', { u64: '0', color: 'RED', tags: {} }],
  ];
  for (const [name, input, bytes, decodedBack] of table) {
    const encoded = encode(Sample, input);
    assert.equal(encoded.toString('hex'), hex(bytes).toString('hex'), `${name}: encode`);
    const decoded = decode(Sample, encoded);
    const expected = decodedBack ?? input;
    for (const [field, value] of Object.entries(expected)) {
      assert.deepEqual(decoded[field], value, `${name}: decode ${field}`);
    }
  }
});

test('a decoded message has every declared field, with proto3 defaults for the absent ones', () => {
  assert.deepEqual(decode(Sample, Buffer.alloc(0)), {
    i32: 0, u32: 0, i64: '0', u64: '0', flag: false, text: '', blob: Buffer.alloc(0), color: 'RED', inner: null,
    nums: [], words: [], inners: [], tags: {}, bigs: [],
  });
});

test('decoding accepts what other writers send', () => {
  const table: [string, string, ProtoObject][] = [
    ['repeated int32 unpacked (one tag per value)', '50 03 50 8e02 50 9ea705', { nums: [3, 270, 86942] }],
    ['packed and unpacked runs of one field append', '52 02 0102 50 03', { nums: [1, 2, 3] }],
    ['an unknown enum value stays a number', '40 07', { color: 7 }],
    ['a scalar seen twice: the last wins', '08 01 08 02', { i32: 2 }],
    ['a sub-message seen twice merges', '4a 02 0801 4a 00', { inner: { value: '1' } }],
    ['map entries with the same key: the last wins', '6a 06 0a0161 120131 6a 06 0a0161 120132', { tags: { a: '2' } }],
    ['a map entry without its key has the empty key', '6a 03 120178', { tags: { '': 'x' } }],
    ['a map entry with an unknown field in it', '6a 08 0a0161 1801 120162', { tags: { a: 'b' } }],
    ['a non-minimal varint (padded with 0x80)', '08 8180808000', { i32: 1 }],
    ['a bool sent as a large varint', '28 8002', { flag: true }],
    ['int32 sent as a five-byte negative (some writers truncate)', '08 ffffffff0f', { i32: -1 }],
  ];
  for (const [name, bytes, expected] of table) {
    const decoded = decode(Sample, hex(bytes));
    for (const [field, value] of Object.entries(expected)) assert.deepEqual(decoded[field], value, name);
  }
});

test('fields the schema does not declare are skipped, whatever their wire type', () => {
  const unknowns: [string, string][] = [
    ['varint', 'f801 96ff01'],                   // field 31, varint
    ['varint of ten bytes', 'f801 ffffffffffffffffff01'],
    ['fixed64', 'f901 0102030405060708'],        // field 31, wire type 1
    ['length-delimited', 'fa01 03 616263'],       // field 31, wire type 2
    ['fixed32', 'fd01 01020304'],                 // field 31, wire type 5
    ['group', 'fb01 0801 fc01'],                  // field 31: start group, a varint field inside, end group
    ['a known number with the wrong wire type', '0d 01020304'], // field 1 (int32) sent as fixed32
  ];
  for (const [name, bytes] of unknowns) {
    const decoded = decode(Sample, Buffer.concat([hex('08 05'), hex(bytes), hex('32 01 78')]));
    assert.equal(decoded.i32, 5, `${name}: field before`);
    assert.equal(decoded.text, 'x', `${name}: field after`);
  }
});

test('malformed input is refused, not misread', () => {
  const table: [string, string][] = [
    ['a varint cut short', '08 96'],
    ['a string longer than the message', '32 05 6162'],
    ['a fixed64 cut short', 'f901 0102'],
    ['a varint of eleven bytes', '08 ffffffffffffffffffff01'],
    ['wire type 7', '0f'],
    ['a group that ends with another number', 'fb01 8402'],
  ];
  for (const [name, bytes] of table) assert.throws(() => decode(Sample, hex(bytes)), ProtoError, name);
  assert.throws(() => encode(Sample, { i64: 'twelve' }), ProtoError, 'int64 that is not a number');
  assert.throws(() => encode(Sample, { color: 'PURPLE' }), ProtoError, 'an enum name the enum does not have');
  assert.throws(() => encode(Sample, { text: 5 }), ProtoError, 'a number for a string');
});

test('CRI requests and responses round-trip through the schema', () => {
  const config: ProtoObject = {
    metadata: { name: 'web', attempt: 2 },
    image: { image: 'localhost/kujira-demo:1' },
    command: ['sh', '-c'], args: ['echo hi'], working_dir: '/srv',
    envs: [{ key: 'POD_IP', value: '10.88.0.5' }],
    mounts: [{ container_path: '/data', host_path: '/var/lib/x', readonly: true }],
    labels: { 'io.kubernetes.pod.uid': 'u-1' }, annotations: {}, log_path: 'web/2.log', stdin: false, stdin_once: false, tty: true,
    linux: {
      resources: { cpu_shares: 512, cpu_quota: 50000, cpu_period: 100000, memory_limit_in_bytes: '68719476736', oom_score_adj: -997 },
      security_context: { namespace_options: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' }, run_as_user: { value: 0 }, capabilities: { add_capabilities: ['NET_ADMIN'] } },
    },
  };
  const req = METHODS.CreateContainer.request;
  const back = decode(req, encode(req, { pod_sandbox_id: 'sb', config })) as { config: ProtoObject & { linux: { resources: ProtoObject; security_context: ProtoObject } } };
  assert.deepEqual(back.config.linux.resources, {
    cpu_period: '100000', cpu_quota: '50000', cpu_shares: '512', memory_limit_in_bytes: '68719476736', oom_score_adj: '-997', cpuset_cpus: '', cpuset_mems: '',
  });
  assert.deepEqual(back.config.linux.security_context.run_as_user, { value: '0' }, 'run as root is kept: the wrapper is present');
  assert.equal(back.config.linux.security_context.run_as_group, null, 'an absent wrapper stays absent');
  assert.deepEqual((back.config.linux.security_context.namespace_options as ProtoObject).pid, 'CONTAINER');
  assert.deepEqual(back.config.envs, [{ key: 'POD_IP', value: '10.88.0.5' }]);
  assert.deepEqual(back.config.mounts, [{ container_path: '/data', host_path: '/var/lib/x', readonly: true, selinux_relabel: false, propagation: 'PROPAGATION_PRIVATE' }]);

  const statusType = METHODS.ContainerStatus.response;
  const status = decode(statusType, encode(statusType, {
    status: { id: 'c1', state: 'CONTAINER_EXITED', created_at: '1764240000123456789', finished_at: '1764240001000000000', exit_code: 137, reason: 'OOMKilled' },
  })).status as ProtoObject;
  assert.equal(status.created_at, '1764240000123456789');
  assert.equal(status.exit_code, 137);
  assert.equal(status.state, 'CONTAINER_EXITED');
  assert.equal(status.metadata, null);
  assert.deepEqual(status.mounts, []);

  const ports = METHODS.PortForward.request;
  assert.deepEqual(decode(ports, encode(ports, { pod_sandbox_id: 'sb', port: [8080, 80] })).port, [8080, 80]);

  const exec = METHODS.ExecSync.response;
  const execBack = decode(exec, encode(exec, { stdout: Buffer.from('out\n'), exit_code: 3 }));
  assert.ok(Buffer.isBuffer(execBack.stdout));
  assert.equal((execBack.stdout as Buffer).toString(), 'out\n');
  assert.equal((execBack.stderr as Buffer).length, 0);
});
