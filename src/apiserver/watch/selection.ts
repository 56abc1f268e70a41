// What a selector watch needs to tell ADDED / MODIFIED / DELETED apart without decoding whole
// objects: whether the previous version of a key matched (remembered per watch instead of decoding
// the previous object), and for label-only selectors the metadata alone of the new version.
import type { KubeObject } from '../../api/types.js';
import type { KeyValue } from '../../storage/store.js';

/** How encodeObjectText lays out stored objects (apiVersion, kind, metadata first); type names hold no quote or backslash. */
const LEADING_FIELDS = /^\{"apiVersion":"[^"\\]*","kind":"[^"\\]*","metadata":/;
/** Enough of the start of a stored object to hold apiVersion and kind. */
const LEADING_BYTES = 512;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN = 0x7b;
const CLOSE = 0x7d;

/**
 * Where the `metadata` object of a stored object's UTF-8 bytes starts and ends ([start, end)),
 * found by scanning for the end of its object (braces inside strings skipped), or undefined when
 * the bytes are not laid out as encodeObjectText writes them. Bytes, not text: quotes, braces and
 * backslashes are ASCII and never part of a multi-byte UTF-8 sequence, so only the metadata is decoded.
 */
export function storedMetadataRange(bytes: Uint8Array): [number, number] | undefined {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, LEADING_BYTES)).toString('latin1');
  const m = LEADING_FIELDS.exec(head);
  if (!m) return undefined;
  const start = m[0].length;
  if (bytes[start] !== OPEN) return undefined;
  let depth = 0;
  let inString = false;
  for (let i = start; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN) depth++;
    else if (c === CLOSE && --depth === 0) return [start, i + 1];
  }
  return undefined;
}

/** The JSON text of `metadata` in a stored object's text (see storedMetadataRange). */
export function storedMetadataJson(text: string): string | undefined {
  const bytes = Buffer.from(text, 'utf8');
  const range = storedMetadataRange(bytes);
  return range ? bytes.toString('utf8', range[0], range[1]) : undefined;
}

/** An object holding only the stored metadata (enough for label selectors), or undefined (decode it whole). */
export function metadataOnly(value: Uint8Array): KubeObject | undefined {
  const range = storedMetadataRange(value);
  if (!range) return undefined;
  const json = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8', range[0], range[1]);
  return { metadata: JSON.parse(json) as KubeObject['metadata'] } as KubeObject;
}

/**
 * Per selector watch: the revision of each key's latest version that matched. The watch sees
 * every change under its prefix from `seenFrom` on, and (after an initial list) was told each
 * matching object at the list's revision, so "did the previous version match?" is a lookup.
 */
export class MatchMemory {
  private readonly matched = new Map<string, number>();
  private complete = false;

  constructor(private readonly seenFrom: number) {}

  /** The initial list: these matched at the list's revision; anything else listed did not. */
  seedFromList(entries: Iterable<[key: string, revision: number]>): void {
    for (const [key, revision] of entries) this.matched.set(key, revision);
    this.complete = true;
  }

  /** Whether `prev` matched, if this watch knows; undefined when it predates what the watch saw. */
  previousMatched(prev: KeyValue): boolean | undefined {
    if (!this.complete && prev.modRevision < this.seenFrom) return undefined;
    return this.matched.get(prev.key) === prev.modRevision;
  }

  /** The key's newest version (`revision`) matches or not; a deleted key matches nothing. */
  record(key: string, revision: number, matches: boolean): void {
    if (matches) this.matched.set(key, revision);
    else this.matched.delete(key);
  }
}
