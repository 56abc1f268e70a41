// Bearer tokens, kept in DIR/pki/tokens.csv in Kubernetes' static token file format:
//   token,user,uid,"group1,group2"
// Each line is a named token (the user name is its name); `kujira up` adds the admin token on
// first start, and later features (a node-join token) add lines with `ensureToken`.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';

export interface TokenEntry {
  token: string;
  user: string;
  uid: string;
  groups: string[];
}

function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

export function parseTokenFile(text: string): TokenEntry[] {
  const entries: TokenEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [token, user, uid, groups] = parseCsvLine(line);
    if (!token || !user) continue;
    entries.push({ token, user, uid: uid || user, groups: groups ? groups.split(',').filter(Boolean) : [] });
  }
  return entries;
}

export function formatTokenFile(entries: TokenEntry[]): string {
  return entries.map((e) => `${e.token},${e.user},${e.uid},"${e.groups.join(',')}"`).join('\n') + '\n';
}

export async function readTokenFile(path: string): Promise<TokenEntry[]> {
  try {
    return parseTokenFile(await readFile(path, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Returns the token of user `user`, creating (and persisting) one if the file has none. */
export async function ensureToken(path: string, user: string, groups: string[]): Promise<string> {
  const entries = await readTokenFile(path);
  const found = entries.find((e) => e.user === user);
  if (found) return found.token;
  const token = randomBytes(24).toString('hex');
  entries.push({ token, user, uid: user, groups });
  await writeFile(path, formatTokenFile(entries), { mode: 0o600 });
  return token;
}

/** Constant-time lookup over a small list. */
export class TokenAuthenticator {
  private entries: { buf: Buffer; entry: TokenEntry }[];
  constructor(entries: TokenEntry[]) {
    this.entries = entries.map((entry) => ({ buf: Buffer.from(entry.token), entry }));
  }
  authenticate(token: string): TokenEntry | undefined {
    const b = Buffer.from(token);
    for (const e of this.entries) {
      if (e.buf.length === b.length && timingSafeEqual(e.buf, b)) return e.entry;
    }
    return undefined;
  }
  /** Replaces the list (after a token was added at run time). */
  reload(entries: TokenEntry[]): void {
    this.entries = entries.map((entry) => ({ buf: Buffer.from(entry.token), entry }));
  }
}
