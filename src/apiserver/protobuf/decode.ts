// Decodes the Kubernetes protobuf wire format (application/vnd.kubernetes.protobuf) into the
// same object the JSON wire would carry, so the rest of the API server never sees protobuf.
//
// An envelope is the magic "k8s\0" followed by a runtime.Unknown message:
//   1 typeMeta {1 apiVersion, 2 kind}, 2 raw (the object's own message), 3 contentEncoding, 4 contentType.
// The object's message is walked with the field table in schema.ts.
//
// Presence: Go's generated marshallers always write non-pointer fields, even when zero, and
// write pointer fields only when set. JSON instead omits zero values of fields tagged omitempty.
// To hand the server exactly what JSON would have carried, a non-pointer scalar tagged omitempty
// (flag z) is dropped when it is zero ('' / 0 / false); every other scalar on the wire is kept,
// so a *string set to '' (e.g. storageClassName: "") or a *int32 set to 0 (replicas: 0) survives.
// Types with their own JSON form are converted: Time -> RFC 3339 seconds (a zero Time, sent as an
// empty message, is null, as Go's JSON encoder writes it: a pod template's `creationTimestamp: null`
// is stored alike whether kubectl sent JSON (1.27-1.31) or protobuf), MicroTime -> RFC 3339 microseconds,
// Duration -> Go's duration string, IntOrString -> number or string, Quantity -> string,
// FieldsV1 / RawExtension -> the JSON they carry, bytes -> base64, int64 -> number.
import { ApiError, errors } from '../../api/errors.js';
import type { KubeObject } from '../../api/types.js';
import { KINDS, MESSAGES, META_KINDS, type FieldRow } from './schema.js';
import { Reader, WireError, WIRE_BYTES, WIRE_FIXED32, WIRE_FIXED64, WIRE_VARINT, zigzag } from './wire.js';

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';

/** The 4-byte prefix of every Kubernetes protobuf body: "k8s" and a zero byte. */
export const PROTOBUF_MAGIC = Uint8Array.of(0x6b, 0x38, 0x73, 0x00);

export interface DecodedObject {
  apiVersion: string;
  kind: string;
  object: KubeObject;
}

type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
type JsonObject = { [key: string]: JsonValue };

interface Field {
  name: string;
  type: string;
  repeated: boolean;
  map: boolean;
  inline: boolean;
  omitZero: boolean;
}

/** The field table indexed by message and field number, built once from schema.ts. */
const FIELDS: ReadonlyMap<string, ReadonlyMap<number, Field>> = new Map(
  Object.entries(MESSAGES).map(([message, rows]): [string, ReadonlyMap<number, Field>] => [
    message,
    new Map(
      rows.map(([num, name, type, flags = '']: FieldRow): [number, Field] => [
        num,
        { name, type, repeated: flags.includes('r'), map: flags.includes('m'), inline: flags.includes('i'), omitZero: flags.includes('z') },
      ]),
    ),
  ]),
);

/**
 * Decodes a whole request body. Throws ApiError 400 on malformed input and 415 for a kind we
 * hold no field table for (the client may send it as JSON instead).
 */
export function decodeKubernetesProtobuf(body: Uint8Array): DecodedObject {
  if (!isKubernetesProtobuf(body)) {
    throw errors.badRequest('the protobuf body does not start with the Kubernetes protobuf prefix "k8s\\x00"');
  }
  let envelope: Envelope;
  try {
    envelope = readEnvelope(body.subarray(PROTOBUF_MAGIC.length));
  } catch (err) {
    throw asBadRequest('runtime.Unknown envelope', err);
  }
  const { apiVersion, kind, raw, contentEncoding, contentType } = envelope;
  if (!apiVersion || !kind) throw errors.badRequest(`Object 'Kind' is missing from the protobuf envelope (apiVersion "${apiVersion}", kind "${kind}")`);
  if (contentEncoding) throw errors.badRequest(`unsupported protobuf content encoding "${contentEncoding}"`);
  if (contentType && contentType !== PROTOBUF_MEDIA_TYPE) throw errors.badRequest(`unsupported content type "${contentType}" inside the protobuf envelope`);
  const message = messageFor(apiVersion, kind);
  if (!message) {
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - kind "${kind}" of "${apiVersion}" is not supported in ${PROTOBUF_MEDIA_TYPE}; accepted media types include: application/json, application/yaml`,
    );
  }
  let decoded: JsonObject;
  try {
    decoded = decodeMessage(raw, message);
  } catch (err) {
    throw asBadRequest(`${kind} (${apiVersion})`, err);
  }
  const object: KubeObject = { apiVersion, kind, ...decoded };
  return { apiVersion, kind, object };
}

/** True when the body starts with the Kubernetes protobuf prefix. */
export function isKubernetesProtobuf(body: Uint8Array): boolean {
  return body.length >= PROTOBUF_MAGIC.length && PROTOBUF_MAGIC.every((b, i) => body[i] === b);
}

function messageFor(apiVersion: string, kind: string): string | undefined {
  if (META_KINDS.includes(kind)) return `meta.v1.${kind}`;
  return KINDS[`${apiVersion}/${kind}`];
}

/** A WireError becomes the client's 400; anything else is our bug and stays as it is. */
function asBadRequest(what: string, err: unknown): unknown {
  if (!(err instanceof WireError)) return err;
  return new ApiError(400, 'BadRequest', `unable to decode protobuf ${what}: ${err.message}`, undefined, { cause: err });
}

interface Envelope {
  apiVersion: string;
  kind: string;
  raw: Uint8Array;
  contentEncoding: string;
  contentType: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function text(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new WireError('string field is not valid UTF-8');
  }
}

function readEnvelope(buf: Uint8Array): Envelope {
  const env: Envelope = { apiVersion: '', kind: '', raw: new Uint8Array(), contentEncoding: '', contentType: '' };
  const r = new Reader(buf);
  while (!r.done) {
    const [field, wire] = r.tag();
    if (field >= 1 && field <= 4 && wire !== WIRE_BYTES) throw new WireError(`field ${field} has wire type ${wire}, want ${WIRE_BYTES}`);
    if (field === 1) {
      const tm = new Reader(r.bytes());
      while (!tm.done) {
        const [f, w] = tm.tag();
        if (f === 1 && w === WIRE_BYTES) env.apiVersion = text(tm.bytes());
        else if (f === 2 && w === WIRE_BYTES) env.kind = text(tm.bytes());
        else tm.skip(w);
      }
    } else if (field === 2) env.raw = r.bytes();
    else if (field === 3) env.contentEncoding = text(r.bytes());
    else if (field === 4) env.contentType = text(r.bytes());
    else r.skip(wire);
  }
  return env;
}

/** Messages whose JSON form is not an object of their fields. */
const SPECIAL: Record<string, (bytes: Uint8Array) => JsonValue | undefined> = {
  'meta.v1.Time': (b) => timestamp(b, false),
  'meta.v1.MicroTime': (b) => timestamp(b, true),
  'meta.v1.Duration': (b) => {
    let ns = 0n;
    const r = new Reader(b);
    while (!r.done) {
      const [f, w] = r.tag();
      if (f === 1) ns = expectWire(w, WIRE_VARINT, 'Duration.duration') && r.int64Big();
      else r.skip(w);
    }
    return goDuration(ns);
  },
  'intstr.IntOrString': (b) => {
    let type = 0;
    let intVal = 0;
    let strVal = '';
    const r = new Reader(b);
    while (!r.done) {
      const [f, w] = r.tag();
      if (f === 1) type = expectWire(w, WIRE_VARINT, 'IntOrString.type') && r.int64();
      else if (f === 2) intVal = expectWire(w, WIRE_VARINT, 'IntOrString.intVal') && r.int32();
      else if (f === 3) strVal = expectWire(w, WIRE_BYTES, 'IntOrString.strVal') && text(r.bytes());
      else r.skip(w);
    }
    return type === 1 ? strVal : intVal;
  },
  'resource.Quantity': (b) => {
    let s = '';
    const r = new Reader(b);
    while (!r.done) {
      const [f, w] = r.tag();
      if (f === 1) s = expectWire(w, WIRE_BYTES, 'Quantity.string') && text(r.bytes());
      else r.skip(w);
    }
    return s === '' ? '0' : s;
  },
  'meta.v1.FieldsV1': (b) => embeddedJson(b, 'FieldsV1'),
  'runtime.RawExtension': (b) => embeddedJson(b, 'RawExtension'),
};

/** Returns true so it can sit in an `&&` chain before the read it guards. */
function expectWire(got: number, want: number, what: string): true {
  if (got !== want) throw new WireError(`${what} has wire type ${got}, want ${want}`);
  return true;
}

/** FieldsV1 and RawExtension both carry JSON text in field 1. */
function embeddedJson(b: Uint8Array, what: string): JsonValue | undefined {
  let raw: Uint8Array | undefined;
  const r = new Reader(b);
  while (!r.done) {
    const [f, w] = r.tag();
    if (f === 1) raw = expectWire(w, WIRE_BYTES, `${what}.raw`) && r.bytes();
    else r.skip(w);
  }
  if (!raw || raw.length === 0) return undefined;
  const s = text(raw);
  try {
    return JSON.parse(s) as JsonValue;
  } catch {
    throw new WireError(`${what} does not hold JSON`);
  }
}

/** Go's zero time.Time, 0001-01-01T00:00:00Z, in Unix seconds. */
const GO_ZERO_TIME_SECONDS = -62135596800;

function timestamp(b: Uint8Array, micro: boolean): string | null {
  // An empty message is the zero time, which JSON writes as null.
  if (b.length === 0) return null;
  let seconds = 0;
  let nanos = 0;
  const r = new Reader(b);
  while (!r.done) {
    const [f, w] = r.tag();
    if (f === 1) seconds = expectWire(w, WIRE_VARINT, 'Timestamp.seconds') && r.int64();
    else if (f === 2) nanos = expectWire(w, WIRE_VARINT, 'Timestamp.nanos') && r.int32();
    else r.skip(w);
  }
  if (seconds === GO_ZERO_TIME_SECONDS && nanos === 0) return null;
  const date = new Date(seconds * 1000);
  if (Number.isNaN(date.getTime())) throw new WireError(`timestamp ${seconds} is out of range`);
  const base = date.toISOString().slice(0, 19);
  // metav1.Time keeps whole seconds (its own Unmarshal drops nanos); MicroTime keeps microseconds.
  if (!micro) return `${base}Z`;
  const micros = Math.floor(Math.max(0, Math.min(nanos, 999_999_999)) / 1000);
  return `${base}.${String(micros).padStart(6, '0')}Z`;
}

/** time.Duration.String(): "0s", "1.5ms", "1h2m3.5s". */
export function goDuration(ns: bigint): string {
  if (ns === 0n) return '0s';
  const neg = ns < 0n;
  let u = neg ? -ns : ns;
  const sign = neg ? '-' : '';
  if (u < 1_000_000_000n) {
    if (u < 1000n) return `${sign}${u}ns`;
    if (u < 1_000_000n) return `${sign}${fraction(u, 3)}µs`;
    return `${sign}${fraction(u, 6)}ms`;
  }
  let out = `${fraction(u % 60_000_000_000n, 9)}s`;
  u /= 60_000_000_000n;
  if (u > 0n) {
    out = `${u % 60n}m${out}`;
    u /= 60n;
    if (u > 0n) out = `${u}h${out}`;
  }
  return sign + out;
}

/** v / 10^prec with trailing zeros (and a bare point) removed, as Go's fmtFrac+fmtInt. */
function fraction(v: bigint, prec: number): string {
  const scale = 10n ** BigInt(prec);
  const whole = v / scale;
  const frac = (v % scale).toString().padStart(prec, '0').replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : `${whole}`;
}

function decodeMessage(buf: Uint8Array, message: string): JsonObject {
  const fields = FIELDS.get(message);
  if (!fields) throw new Error(`protobuf field table has no message ${message}`);
  const out: JsonObject = {};
  const r = new Reader(buf);
  while (!r.done) {
    const [num, wire] = r.tag();
    const field = fields.get(num);
    // Fields newer than our table are skipped, as Go's generated code skips unknown fields.
    if (!field) {
      r.skip(wire);
      continue;
    }
    const where = `${message}.${field.name || field.type}`;
    if (field.map) {
      expectWire(wire, WIRE_BYTES, where);
      const [key, value] = mapEntry(r.bytes(), field.type, where);
      const map = (out[field.name] ??= {}) as JsonObject;
      map[key] = value;
      continue;
    }
    if (field.repeated) {
      const list = (out[field.name] ??= []) as JsonValue[];
      if (isScalar(field.type) && wire === WIRE_BYTES && packable(field.type)) {
        const packed = new Reader(r.bytes());
        while (!packed.done) list.push(scalar(packed, field.type, wireOf(field.type), where));
      } else {
        const v = value(r, field.type, wire, where);
        // A repeated Time that is zero has no JSON form but null; keep the slot as JSON would.
        list.push(v === undefined ? null : v);
      }
      continue;
    }
    const v = value(r, field.type, wire, where);
    if (field.inline) {
      if (v !== undefined) Object.assign(out, v as JsonObject);
      continue;
    }
    if (v === undefined || (field.omitZero && (v === '' || v === 0 || v === false))) {
      delete out[field.name];
      continue;
    }
    const prev = out[field.name];
    // Proto merges a message field sent twice; a scalar sent twice keeps the last value.
    if (isPlainObject(prev) && isPlainObject(v)) Object.assign(prev, v);
    else out[field.name] = v;
  }
  return out;
}

function mapEntry(buf: Uint8Array, type: string, where: string): [string, JsonValue] {
  let key = '';
  let val: JsonValue | undefined;
  let valWire = -1;
  const r = new Reader(buf);
  while (!r.done) {
    const [f, w] = r.tag();
    if (f === 1) key = expectWire(w, WIRE_BYTES, `${where} key`) && text(r.bytes());
    else if (f === 2) {
      valWire = w;
      val = value(r, type, w, `${where}[${key}]`);
    } else r.skip(w);
  }
  // A missing value is the Go zero value of the type.
  if (val === undefined && valWire === -1) val = zeroValue(type);
  return [key, val ?? null];
}

function zeroValue(type: string): JsonValue {
  if (type === 'string' || type === 'bytes') return '';
  if (type === 'bool') return false;
  if (isScalar(type)) return 0;
  return SPECIAL[type]?.(new Uint8Array()) ?? (SPECIAL[type] ? null : {});
}

function value(r: Reader, type: string, wire: number, where: string): JsonValue | undefined {
  if (isScalar(type)) return scalar(r, type, wire, where);
  expectWire(wire, WIRE_BYTES, where);
  const bytes = r.bytes();
  const special = SPECIAL[type];
  if (special) return special(bytes);
  return decodeMessage(bytes, type);
}

const SCALAR_WIRE: Record<string, number> = {
  string: WIRE_BYTES,
  bytes: WIRE_BYTES,
  bool: WIRE_VARINT,
  int32: WIRE_VARINT,
  int64: WIRE_VARINT,
  uint32: WIRE_VARINT,
  uint64: WIRE_VARINT,
  sint32: WIRE_VARINT,
  sint64: WIRE_VARINT,
  fixed32: WIRE_FIXED32,
  sfixed32: WIRE_FIXED32,
  float: WIRE_FIXED32,
  fixed64: WIRE_FIXED64,
  sfixed64: WIRE_FIXED64,
  double: WIRE_FIXED64,
};

function isScalar(type: string): boolean {
  return type in SCALAR_WIRE;
}

function wireOf(type: string): number {
  return SCALAR_WIRE[type]!;
}

function packable(type: string): boolean {
  return wireOf(type) !== WIRE_BYTES;
}

function scalar(r: Reader, type: string, wire: number, where: string): JsonValue {
  expectWire(wire, wireOf(type), where);
  switch (type) {
    case 'string':
      return text(r.bytes());
    case 'bytes':
      return Buffer.from(r.bytes()).toString('base64');
    case 'bool':
      return r.bool();
    case 'int32':
      return r.int32();
    case 'int64':
      return r.int64();
    case 'uint32':
      return r.uint32();
    case 'uint64':
      return r.uint64();
    case 'sint32':
    case 'sint64':
      return zigzag(r.uint64());
    case 'fixed32':
      return r.fixed32();
    case 'sfixed32':
      return r.sfixed32();
    case 'float':
      return r.float();
    case 'fixed64':
      return r.fixed64();
    case 'sfixed64':
      return r.sfixed64();
    case 'double':
      return r.double();
    default:
      throw new WireError(`unknown scalar type ${type} at ${where}`);
  }
}

function isPlainObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
