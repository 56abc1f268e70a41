// What a selector watch needs to tell ADDED / MODIFIED / DELETED apart without decoding whole
// objects: whether the previous version of a key matched (remembered per watch instead of decoding
// the previous object), and for label-only selectors the metadata alone of the new version.
import type { KubeObject } from '../../api/types.js';
import type { KeyValue } from '../../storage/store.js';

/** How encodeObjectText lays out stored objects (apiVersion, kind, metadata first); type names hold no quote or backslash. */
const LEADING_FIELDS = /^\{"apiVersion":"[^"\\]*","kind":"[^"\\]*","metadata":/;

/**
 * The JSON text of `metadata` in a stored object's text, found by scanning for the end of its
 * object (braces inside strings skipped), or undefined when the text is not laid out that way.
 */
export function storedMetadataJson(text: string): string | undefined {
  const m = LEADING_FIELDS.exec(text);
  if (!m) return undefined;
  const start = m[0].length;
  if (text.charCodeAt(start) !== 0x7b /* { */) return undefined;
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b) depth++;
    else if (c === 0x7d /* } */ && --depth === 0) return text.slice(start, i + 1);
  }
  return undefined;
}

/** An object holding only the stored metadata (enough for label selectors), or undefined (decode it whole). */
export function metadataOnly(value: Uint8Array): KubeObject | undefined {
  const text = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8');
  const json = storedMetadataJson(text);
  if (json === undefined) return undefined;
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
