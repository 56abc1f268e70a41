// Decodes Kubernetes' protobuf request bodies (application/vnd.kubernetes.protobuf) into the same JSON
// objects the rest of the server handles. kubectl's generator commands (`create namespace`, `create
// deployment`, `autoscale`) and typed Go clients send them. The envelope is the 4-byte magic "k8s\0"
// followed by a runtime.Unknown {typeMeta, raw}; raw is the object's message, whose fields come from
// the generated table (messages.gen.ts).
import { errors } from '../../api/errors.js';
import type { KubeObject } from '../../api/types.js';
import { messagesJSON } from './messages.gen.js';

type FieldKind = 's' | 'r' | 'm';
type FieldSpec = [number, string, FieldKind, string];

interface MessageSpec {
  byNumber: Map<number, FieldSpec>;
}

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';
const RUNTIME = 'k8s.io.apimachinery.pkg.runtime';

/** Proto package of each served group-version. */
const PACKAGES: Record<string, string> = {
  v1: 'k8s.io.api.core.v1',
  'apps/v1': 'k8s.io.api.apps.v1',
  'autoscaling/v1': 'k8s.io.api.autoscaling.v1',
  'autoscaling/v2': 'k8s.io.api.autoscaling.v2',
  'coordination.k8s.io/v1': 'k8s.io.api.coordination.v1',
  'events.k8s.io/v1': 'k8s.io.api.events.v1',
  'policy/v1': 'k8s.io.api.policy.v1',
  'meta.k8s.io/v1': META,
};

/**
 * Pointer fields (Go `*int32`, `*bool`) whose zero value means something. Go writes value fields to
 * protobuf even when zero, but its JSON drops them (omitempty); pointer fields are written only when set.
 * The wire cannot tell the two apart, so zeros are dropped except for these names.
 */
const MEANINGFUL_ZERO = new Set([
  'replicas',
  'minReplicas',
  'terminationGracePeriodSeconds',
  'activeDeadlineSeconds',
  'revisionHistoryLimit',
  'progressDeadlineSeconds',
  'deletionGracePeriodSeconds',
  'gracePeriodSeconds',
  'runAsUser',
  'runAsGroup',
  'fsGroup',
  'priority',
  'averageUtilization',
  'targetCPUUtilizationPercentage',
  'automountServiceAccountToken',
  'readOnlyRootFilesystem',
  'privileged',
  'allowPrivilegeEscalation',
  'runAsNonRoot',
  'shareProcessNamespace',
  'enableServiceLinks',
  'setHostnameAsFQDN',
  'hostUsers',
  'optional',
  'defaultMode',
  'mode',
  'stabilizationWindowSeconds',
  'orphanDependents',
  'leaseDurationSeconds',
  'leaseTransitions',
  'tolerationSeconds',
  'minAvailable',
  'maxUnavailable',
]);

let table: Map<string, MessageSpec> | undefined;

function messages(): Map<string, MessageSpec> {
  if (!table) {
    const raw = JSON.parse(messagesJSON) as Record<string, FieldSpec[]>;
    table = new Map(Object.entries(raw).map(([name, fields]) => [name, { byNumber: new Map(fields.map((f) => [f[0], f])) }]));
  }
  return table;
}

class Reader {
  pos: number;
  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.end) throw new Error('truncated varint');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 70n) throw new Error('varint too long');
    }
  }

  /** Small varints (keys, lengths) without BigInt. */
  uint(): number {
    let result = 0;
    let mul = 1;
    for (;;) {
      if (this.pos >= this.end) throw new Error('truncated varint');
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
      if (mul > 2 ** 49) throw new Error('length too large');
    }
  }

  bytes(): [number, number] {
    const len = this.uint();
    const start = this.pos;
    if (start + len > this.end) throw new Error('truncated field');
    this.pos += len;
    return [start, start + len];
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.pos += 8;
        return;
      case 2:
        this.bytes();
        return;
      case 5:
        this.pos += 4;
        return;
      default:
        throw new Error(`unsupported wire type ${wireType}`);
    }
  }
}

function scalarFromVarint(type: string, v: bigint): number | boolean {
  switch (type) {
    case 'bool':
      return v !== 0n;
    case 'int32':
      return Number(BigInt.asIntN(32, v));
    case 'uint32':
    case 'uint64':
      return Number(v);
    case 'sint32':
    case 'sint64':
      return Number((v >> 1n) ^ -(v & 1n));
    default:
      return Number(BigInt.asIntN(64, v));
  }
}

function rfc3339(seconds: number, nanos: number, micro: boolean): string {
  const iso = new Date(seconds * 1000).toISOString().slice(0, 19);
  return micro ? `${iso}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z` : `${iso}Z`;
}

/** Go's time.Duration.String() for nanoseconds, e.g. 90s → "1m30s". */
function goDuration(ns: number): string {
  if (ns === 0) return '0s';
  const sign = ns < 0 ? '-' : '';
  let rest = Math.abs(ns);
  const h = Math.floor(rest / 3.6e12);
  rest -= h * 3.6e12;
  const m = Math.floor(rest / 6e10);
  rest -= m * 6e10;
  const s = rest / 1e9;
  return `${sign}${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${+s.toFixed(9)}s`;
}

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

/** Messages whose JSON form is not an object of their fields. */
function special(name: string, obj: Record<string, Json>): Json | undefined {
  switch (name) {
    case `${META}.Time`:
    case `${META}.MicroTime`: {
      const seconds = Number(obj.seconds ?? 0);
      const nanos = Number(obj.nanos ?? 0);
      if (seconds === 0 && nanos === 0) return null;
      return rfc3339(seconds, nanos, name.endsWith('MicroTime'));
    }
    case `${META}.Duration`:
      return goDuration(Number(obj.duration ?? 0));
    case 'k8s.io.apimachinery.pkg.util.intstr.IntOrString':
      return Number(obj.type ?? 0) === 1 ? String(obj.strVal ?? '') : Number(obj.intVal ?? 0);
    case 'k8s.io.apimachinery.pkg.api.resource.Quantity':
      return String(obj.string ?? '');
    case `${RUNTIME}.RawExtension`:
    case `${META}.FieldsV1`: {
      const raw = obj.raw as string | undefined;
      if (!raw) return null;
      return JSON.parse(Buffer.from(raw, 'base64').toString('utf8')) as Json;
    }
    default:
      return undefined;
  }
}

function decodeMessage(name: string, buf: Buffer, start: number, end: number, keepZeros = false): Json {
  const spec = messages().get(name);
  if (!spec) throw new Error(`unknown message ${name}`);
  const r = new Reader(buf, start, end);
  const out: Record<string, Json> = {};
  while (r.pos < end) {
    const key = r.uint();
    const num = Math.floor(key / 8);
    const wireType = key & 7;
    const field = spec.byNumber.get(num);
    if (!field) {
      r.skip(wireType);
      continue;
    }
    const [, fieldName, kind, type] = field;
    if (kind === 'm') {
      const [s, e] = r.bytes();
      const [keyType, valueType] = type.split(',');
      const entry = decodeEntry(keyType, valueType, buf, s, e);
      const map = (out[fieldName] ??= {}) as Record<string, Json>;
      map[String(entry.key)] = entry.value;
      continue;
    }
    const values = decodeValues(type, wireType, r, buf);
    if (kind === 'r') {
      const list = (out[fieldName] ??= []) as Json[];
      list.push(...values);
    } else {
      out[fieldName] = values[values.length - 1];
    }
  }
  const converted = special(name, out);
  if (converted !== undefined) return converted;
  if (!keepZeros) {
    for (const [k, v] of Object.entries(out)) {
      if (v === null || v === '' || ((v === 0 || v === false) && !MEANINGFUL_ZERO.has(k))) delete out[k];
    }
  }
  return out;
}

function decodeEntry(keyType: string, valueType: string, buf: Buffer, start: number, end: number): { key: Json; value: Json } {
  const r = new Reader(buf, start, end);
  let key: Json = '';
  let value: Json = isScalar(valueType) ? (valueType === 'string' ? '' : 0) : {};
  while (r.pos < end) {
    const k = r.uint();
    const num = Math.floor(k / 8);
    const vals = decodeValues(num === 1 ? keyType : valueType, k & 7, r, buf, true);
    if (num === 1) key = vals[0];
    else if (num === 2) value = vals[0];
  }
  return { key, value };
}

function isScalar(type: string): boolean {
  return !type.includes('.');
}

/** One field occurrence; packed repeated scalars yield several values. */
function decodeValues(type: string, wireType: number, r: Reader, buf: Buffer, keepZeros = false): Json[] {
  if (!isScalar(type)) {
    if (wireType !== 2) throw new Error(`field of message type ${type} with wire type ${wireType}`);
    const [s, e] = r.bytes();
    return [decodeMessage(type, buf, s, e, keepZeros)];
  }
  switch (wireType) {
    case 0:
      return [scalarFromVarint(type, r.varint())];
    case 1: {
      const v = type === 'double' ? buf.readDoubleLE(r.pos) : Number(buf.readBigInt64LE(r.pos));
      r.pos += 8;
      return [v];
    }
    case 5: {
      const v = type === 'float' ? buf.readFloatLE(r.pos) : buf.readInt32LE(r.pos);
      r.pos += 4;
      return [v];
    }
    case 2: {
      const [s, e] = r.bytes();
      if (type === 'string') return [buf.toString('utf8', s, e)];
      if (type === 'bytes') return [buf.subarray(s, e).toString('base64')];
      // Packed repeated scalars.
      const inner = new Reader(buf, s, e);
      const out: Json[] = [];
      while (inner.pos < e) out.push(...decodeValues(type, type === 'double' || type.includes('fixed64') ? 1 : type === 'float' || type.includes('fixed32') ? 5 : 0, inner, buf));
      return out;
    }
    default:
      throw new Error(`unsupported wire type ${wireType}`);
  }
}

/** The message type of an object sent as `apiVersion`/`kind`, or undefined when not known. */
export function messageFor(apiVersion: string, kind: string): string | undefined {
  if (kind === 'DeleteOptions') return `${META}.DeleteOptions`;
  const pkg = PACKAGES[apiVersion];
  if (!pkg) return undefined;
  const name = `${pkg}.${kind}`;
  return messages().has(name) ? name : undefined;
}

/** Decodes a whole request body; errors are 400 / 415 Status as Kubernetes answers them. */
export function decodeProtobufBody(body: Buffer): KubeObject {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) {
    throw errors.badRequest('provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]');
  }
  let envelope: Record<string, Json>;
  try {
    envelope = decodeMessage(`${RUNTIME}.Unknown`, body, 4, body.length, true) as Record<string, Json>;
  } catch (err) {
    throw errors.badRequest(`unable to decode protobuf envelope: ${(err as Error).message}`);
  }
  const typeMeta = (envelope.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
  const apiVersion = typeMeta.apiVersion ?? '';
  const kind = typeMeta.kind ?? '';
  const message = messageFor(apiVersion, kind);
  if (!message) throw errors.badRequest(`no protobuf decoding for ${kind} in ${apiVersion || 'an unnamed version'}`);
  const raw = Buffer.from(String(envelope.raw ?? ''), 'base64');
  let obj: Json;
  try {
    obj = decodeMessage(message, raw, 0, raw.length);
  } catch (err) {
    throw errors.badRequest(`unable to decode ${kind} from protobuf: ${(err as Error).message}`);
  }
  return { apiVersion: apiVersion === 'meta.k8s.io/v1' ? 'v1' : apiVersion, kind, ...(obj as Record<string, unknown>) };
}
