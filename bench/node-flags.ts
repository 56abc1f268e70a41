// The node flags `bin/kujira` runs with (its `#!/usr/bin/env -S node …` line), so that a benchmark
// starting `node bin/kujira up` measures what a user's `kujira up` runs. Flags already in
// KUJIRA_CHILD_NODE_ARGS (e.g. --cpu-prof) are kept and come after.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const kujiraBin = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'kujira');

export function kujiraNodeFlags(): string[] {
  const first = readFileSync(kujiraBin, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!.*?\bnode\b(.*)$/.exec(first);
  return m ? m[1]!.trim().split(/\s+/).filter((f) => f.startsWith('--')) : [];
}

/** Sets KUJIRA_CHILD_NODE_ARGS for the servers this process spawns; returns the flags used. */
export function useKujiraNodeFlags(): string {
  const own = process.env.KUJIRA_BENCH_NO_BIN_FLAGS ? [] : kujiraNodeFlags();
  const value = [...own, process.env.KUJIRA_CHILD_NODE_ARGS ?? ''].join(' ').trim();
  process.env.KUJIRA_CHILD_NODE_ARGS = value;
  return value;
}
