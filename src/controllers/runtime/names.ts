// Names for generated objects, as the API server's generateName does: base + 5 random
// characters from an alphabet without vowels (no accidental words) or look-alikes.
const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const MAX_NAME = 63;
const RANDOM_LENGTH = 5;

export function generateName(base: string, random: () => number = Math.random): string {
  const prefix = base.length > MAX_NAME - RANDOM_LENGTH ? base.slice(0, MAX_NAME - RANDOM_LENGTH) : base;
  let out = prefix;
  for (let i = 0; i < RANDOM_LENGTH; i++) out += ALPHABET[Math.floor(random() * ALPHABET.length)];
  return out;
}

/** Kubernetes' SafeEncodeString: maps each character onto the same alphabet (used for hashes). */
export function safeEncode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += ALPHABET[s.charCodeAt(i) % ALPHABET.length];
  return out;
}

export function isNotFound(err: unknown): boolean {
  return (err as { code?: number } | undefined)?.code === 404;
}

export function isConflict(err: unknown): boolean {
  return (err as { code?: number } | undefined)?.code === 409;
}

export function isAlreadyExists(err: unknown): boolean {
  const e = err as { code?: number; reason?: string } | undefined;
  return e?.code === 409 && e.reason === 'AlreadyExists';
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
