// A small proto3 codec driven by schema tables (see schema.ts): enough of the protobuf wire format for CRI.
//
// Decoded messages look the way @grpc/proto-loader gave them with { keepCase, longs: String, enums: String,
// defaults: true }, which the rest of src/runtime/cri was written against: every declared field is present,
// strings '' / numbers 0 / bools false, int64 and uint64 as decimal strings (nanosecond timestamps pass 2^53),
// enums by name (an unknown value stays a number), bytes as Buffers, repeated [] , maps {}, an absent
// sub-message null. Fields the schema does not declare are skipped, whatever their wire type.
// Encoding leaves out proto3 defaults (they read back the same) but always writes a present sub-message,
// even an empty one: its presence is meaningful (e.g. run_as_user { value: 0 } means root).

export type Scalar = 'string' | 'bytes' | 'bool' | 'int32' | 'uint32' | 'int64' | 'uint64';

/** A proto enum whose values are 0, 1, 2 … in order (true of every CRI enum kujira uses). */
export interface EnumType {
  readonly kind: 'enum';
  readonly name: string;
  readonly values: readonly string[];
}

export interface MessageType {
  readonly kind: 'message';
  readonly name: string;
  readonly fields: readonly FieldSpec[];
  readonly byNumber: ReadonlyMap<number, FieldSpec>;
}

export type FieldType = Scalar | EnumType | MessageType;

/** `map` is map<string, string>, the only map type CRI uses here. */
export type Label = 'optional' | 'repeated' | 'map';

export interface FieldSpec {
  readonly name: string;
  readonly number: number;
  readonly type: FieldType;
  readonly label: Label;
}

/** A field as written in a schema table: [number, type] or [number, type, 'repeated' | 'map']. */
export type FieldDecl = readonly [number, FieldType] | readonly [number, FieldType, 'repeated' | 'map'];

export function enumType(name: string, values: readonly string[]): EnumType {
  return { kind: 'enum', name, values };
}

export function message(name: string, decls: Record<string, FieldDecl>): MessageType {
  const fields = Object.entries(decls).map(([fieldName, d]): FieldSpec => ({ name: fieldName, number: d[0], type: d[1], label: d[2] ?? 'optional' }));
  return { kind: 'message', name, fields, byNumber: new Map(fields.map((f) => [f.number, f])) };
}

export type ProtoObject = Record<string, unknown>;

// Wire types.
const VARINT = 0;
const FIXED64 = 1;
const LEN = 2;
const START_GROUP = 3;
const END_GROUP = 4;
const FIXED32 = 5;

function wireTypeOf(type: FieldType): number {
  if (type === 'string' || type === 'bytes' || typeof type === 'object' && type.kind === 'message') return LEN;
  return VARINT;
}

export class ProtoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtoError';
  }
}

// ---------------------------------------------------------------- encoding

/** A growable byte buffer with the protobuf primitives. */
class Writer {
  private buf = Buffer.allocUnsafe(64);
  len = 0;

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  /** A non-negative integer below 2^53. */
  varint(n: number): void {
    this.room(10);
    while (n >= 0x80) {
      this.buf[this.len++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.len++] = n;
  }

  /** Any 64-bit value; negatives as their two's complement (10 bytes), as int64 requires. */
  varintBig(v: bigint): void {
    let u = BigInt.asUintN(64, v);
    this.room(10);
    while (u >= 0x80n) {
      this.buf[this.len++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.len++] = Number(u);
  }

  tag(number: number, wireType: number): void {
    this.varint(number * 8 + wireType);
  }

  bytes(b: Uint8Array): void {
    this.varint(b.length);
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  string(s: string): void {
    const n = Buffer.byteLength(s);
    this.varint(n);
    this.room(n);
    this.buf.write(s, this.len, 'utf8');
    this.len += n;
  }

  /** A length-prefixed run of whatever fill() writes (a sub-message, a map entry, a packed list). */
  delimited(fill: (inner: Writer) => void): void {
    const inner = new Writer();
    fill(inner);
    this.bytes(inner.finish());
  }

  finish(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}

function toBigInt(v: unknown, field: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  throw new ProtoError(`${field}: not an integer: ${String(v)}`);
}

function toInt(v: unknown, field: string): number {
  const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new ProtoError(`${field}: not an integer: ${String(v)}`);
  return n;
}

function isDefault(type: FieldType, v: unknown): boolean {
  if (typeof type === 'object') return type.kind === 'enum' ? v === 0 || v === type.values[0] : false;
  switch (type) {
    case 'string': return v === '';
    case 'bytes': return (v as Uint8Array).length === 0;
    case 'bool': return v === false;
    default: return v === 0 || v === '0' || v === 0n;
  }
}

/** Writes one value without its tag (the element of a packed run, or the payload after a tag). */
function writeValue(w: Writer, type: FieldType, v: unknown, field: string): void {
  if (typeof type === 'object') {
    if (type.kind === 'message') return w.delimited((inner) => encodeFields(inner, type, v as ProtoObject));
    const index = typeof v === 'number' ? v : type.values.indexOf(String(v));
    if (index < 0) throw new ProtoError(`${field}: ${String(v)} is not a ${type.name}`);
    return w.varint(index);
  }
  switch (type) {
    case 'string':
      if (typeof v !== 'string') throw new ProtoError(`${field}: not a string`);
      return w.string(v);
    case 'bytes':
      return w.bytes(typeof v === 'string' ? Buffer.from(v) : (v as Uint8Array));
    case 'bool':
      return w.varint(v ? 1 : 0);
    case 'int32': {
      const n = toInt(v, field) | 0;
      // A negative int32 is sign-extended to 64 bits on the wire.
      return n >= 0 ? w.varint(n) : w.varintBig(BigInt(n));
    }
    case 'uint32':
      return w.varint(toInt(v, field) >>> 0);
    case 'int64':
    case 'uint64':
      if (typeof v === 'number' && v >= 0 && Number.isSafeInteger(v)) return w.varint(v);
      return w.varintBig(toBigInt(v, field));
  }
}

function encodeFields(w: Writer, type: MessageType, obj: ProtoObject): void {
  for (const f of type.fields) {
    const v = obj[f.name];
    if (v === undefined || v === null) continue;
    const path = `${type.name}.${f.name}`;
    if (f.label === 'map') {
      for (const [key, value] of Object.entries(v as Record<string, unknown>)) {
        w.tag(f.number, LEN);
        w.delimited((entry) => {
          if (key !== '') { entry.tag(1, LEN); entry.string(key); }
          if (value !== '') { entry.tag(2, LEN); writeValue(entry, f.type, value, path); }
        });
      }
    } else if (f.label === 'repeated') {
      const items = v as readonly unknown[];
      if (items.length === 0) continue;
      if (wireTypeOf(f.type) === VARINT) {
        // proto3 packs repeated numbers: one tag, one length, the varints back to back.
        w.tag(f.number, LEN);
        w.delimited((run) => { for (const item of items) writeValue(run, f.type, item, path); });
      } else {
        for (const item of items) {
          w.tag(f.number, LEN);
          writeValue(w, f.type, item, path);
        }
      }
    } else {
      if (typeof f.type !== 'object' || f.type.kind !== 'message') {
        if (isDefault(f.type, v)) continue;
      }
      w.tag(f.number, wireTypeOf(f.type));
      writeValue(w, f.type, v, path);
    }
  }
}

export function encode(type: MessageType, obj: ProtoObject): Buffer {
  const w = new Writer();
  encodeFields(w, type, obj);
  return w.finish();
}

// ---------------------------------------------------------------- decoding

/**
 * Reads buf from pos up to end. A sub-message is read by the same Reader with end moved in (enter/leave):
 * a relist decodes thousands of them a minute, and a Reader each was a good part of the agent's garbage.
 */
class Reader {
  constructor(readonly buf: Buffer, public pos: number, public end: number) {}

  /** Limits reading to the next n bytes (a length-delimited value); returns the end to restore with leave(). */
  enter(n: number): number {
    const outer = this.end;
    this.end = this.pos + n;
    return outer;
  }

  /** Steps past the rest of the entered value and restores the outer end. */
  leave(outer: number): void {
    this.pos = this.end;
    this.end = outer;
  }

  private truncated(): never {
    throw new ProtoError('message truncated');
  }

  private byte(): number {
    if (this.pos >= this.end) this.truncated();
    return this.buf[this.pos++]!;
  }

  /** The low 32 bits of a varint of any length, unsigned. */
  varint32(): number {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const b = this.byte();
      if (shift < 32) value |= (b & 0x7f) << shift;
      if (b < 0x80) return value >>> 0;
      if (shift >= 63) throw new ProtoError('varint too long');
    }
  }

  /** A whole varint: a number while it fits in 53 bits, else a bigint (unsigned 64-bit). */
  varint64(): number | bigint {
    let n = 0;
    let shift = 0;
    for (; shift < 49; shift += 7) {
      const b = this.byte();
      n += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return n;
    }
    let big = BigInt(n);
    for (; ; shift += 7) {
      const b = this.byte();
      big |= BigInt(b & 0x7f) << BigInt(shift);
      if (b < 0x80) return BigInt.asUintN(64, big);
      if (shift >= 63) throw new ProtoError('varint too long');
    }
  }

  length(): number {
    const n = this.varint32();
    if (this.pos + n > this.end) this.truncated();
    return n;
  }

  bytes(): Uint8Array {
    const n = this.length();
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  string(): string {
    const n = this.length();
    const start = this.pos;
    this.pos += n;
    return this.buf.toString('utf8', start, start + n);
  }

  skip(wireType: number, number: number): void {
    switch (wireType) {
      case VARINT: this.varint64(); return;
      case FIXED64: this.advance(8); return;
      case LEN: this.advance(this.length()); return;
      case FIXED32: this.advance(4); return;
      case START_GROUP:
        for (;;) {
          const tag = this.varint32();
          if ((tag & 7) === END_GROUP) {
            if (tag >>> 3 !== number) throw new ProtoError('mismatched end group');
            return;
          }
          this.skip(tag & 7, tag >>> 3);
        }
      default:
        throw new ProtoError(`unknown wire type ${wireType}`);
    }
  }

  private advance(n: number): void {
    if (this.pos + n > this.end) this.truncated();
    this.pos += n;
  }
}

function defaultOf(f: FieldSpec): unknown {
  if (f.label === 'repeated') return [];
  if (f.label === 'map') return {};
  return defaultOfType(f.type);
}

function defaultOfType(type: FieldType): unknown {
  if (typeof type === 'object') return type.kind === 'enum' ? type.values[0] : null;
  switch (type) {
    case 'string': return '';
    case 'bytes': return Buffer.alloc(0);
    case 'bool': return false;
    case 'int32': case 'uint32': return 0;
    case 'int64': case 'uint64': return '0';
  }
}

/** Reads one varint-encoded scalar or enum. */
function readNumeric(r: Reader, type: FieldType): unknown {
  if (typeof type === 'object') {
    // Enum values are int32 on the wire.
    const n = r.varint32() | 0;
    return type.kind === 'enum' && n >= 0 && n < type.values.length ? type.values[n] : n;
  }
  switch (type) {
    case 'bool': return Number(r.varint64()) !== 0;
    case 'int32': return r.varint32() | 0;
    case 'uint32': return r.varint32();
    case 'int64': {
      const v = r.varint64();
      return typeof v === 'number' ? String(v) : BigInt.asIntN(64, v).toString();
    }
    case 'uint64': return String(r.varint64());
    default: throw new ProtoError(`${type} is not numeric`);
  }
}

function readLen(r: Reader, type: FieldType, into?: ProtoObject): unknown {
  if (type === 'string') return r.string();
  if (type === 'bytes') return Buffer.from(r.bytes());
  if (typeof type === 'object' && type.kind === 'message') {
    const target = into ?? newMessage(type);
    const outer = r.enter(r.length());
    decodeInto(r, type, target);
    r.leave(outer);
    return target;
  }
  throw new ProtoError('length-delimited value for a numeric field');
}

function newMessage(type: MessageType): ProtoObject {
  const obj: ProtoObject = {};
  for (const f of type.fields) obj[f.name] = defaultOf(f);
  return obj;
}

function decodeMapEntry(r: Reader, f: FieldSpec, map: Record<string, unknown>): void {
  const outer = r.enter(r.length());
  let key = '';
  let value: unknown;
  while (r.pos < r.end) {
    const tag = r.varint32();
    const wireType = tag & 7;
    if (tag >>> 3 === 1 && wireType === LEN) key = r.string();
    else if (tag >>> 3 === 2 && wireType === wireTypeOf(f.type)) value = wireType === LEN ? readLen(r, f.type) : readNumeric(r, f.type);
    else r.skip(wireType, tag >>> 3);
  }
  r.leave(outer);
  map[key] = value === undefined ? defaultOfType(f.type) : value;
}

function decodeInto(r: Reader, type: MessageType, obj: ProtoObject): void {
  while (r.pos < r.end) {
    const tag = r.varint32();
    const number = tag >>> 3;
    const wireType = tag & 7;
    const f = type.byNumber.get(number);
    if (!f) {
      r.skip(wireType, number);
      continue;
    }
    const expected = wireTypeOf(f.type);
    if (f.label === 'map' && wireType === LEN) {
      decodeMapEntry(r, f, obj[f.name] as Record<string, unknown>);
    } else if (f.label === 'repeated' && expected === VARINT && wireType === LEN) {
      // Packed run (what proto3 writers send); the unpacked form is handled below.
      const outer = r.enter(r.length());
      const list = obj[f.name] as unknown[];
      while (r.pos < r.end) list.push(readNumeric(r, f.type));
      r.leave(outer);
    } else if (wireType !== expected || f.label === 'map') {
      // A wire type the declaration does not allow: not ours to interpret.
      r.skip(wireType, number);
    } else if (f.label === 'repeated') {
      (obj[f.name] as unknown[]).push(expected === LEN ? readLen(r, f.type) : readNumeric(r, f.type));
    } else if (expected === LEN) {
      // A sub-message seen twice merges, as protobuf specifies; scalars: the last one wins.
      const existing = obj[f.name];
      obj[f.name] = readLen(r, f.type, existing && typeof existing === 'object' && !Buffer.isBuffer(existing) ? existing as ProtoObject : undefined);
    } else {
      obj[f.name] = readNumeric(r, f.type);
    }
  }
}

export function decode(type: MessageType, buf: Uint8Array): ProtoObject {
  const obj = newMessage(type);
  const bytes = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.length);
  decodeInto(new Reader(bytes, 0, bytes.length), type, obj);
  return obj;
}
