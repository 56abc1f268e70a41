// The I/O half of the proxy: reading our chains with iptables-save, writing them with
// iptables-restore --noflush, and the few jump rules from the built-in chains, each matching only
// the service CIDR (no other traffic is ever looked at).
import { spawn } from 'node:child_process';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], input?: string): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', (err) => resolve({ code: 127, stdout, stderr: err.message }));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    if (input !== undefined) {
      // A command that exits without reading its input must not fail us.
      child.stdin!.on('error', () => {});
      child.stdin!.end(input);
    }
  });
}

/** Our chains in the nat table (names starting with `prefix`). */
export async function existingChains(prefix: string): Promise<string[]> {
  const res = await run('iptables-save', ['-t', 'nat']);
  if (res.code !== 0) throw new Error(`iptables-save: ${res.stderr.trim()}`);
  return res.stdout
    .split('\n')
    .filter((l) => l.startsWith(`:${prefix}`))
    .map((l) => l.slice(1).split(' ')[0]!);
}

export async function restore(input: string): Promise<void> {
  const res = await run('iptables-restore', ['-w', '--noflush'], input);
  if (res.code !== 0) throw new Error(`iptables-restore: ${res.stderr.trim()}`);
}

/** A rule in a built-in chain: table, chain and the rule's words. */
export interface JumpRule {
  table: 'nat' | 'filter';
  chain: string;
  rule: string[];
}

export async function ensureJump(j: JumpRule): Promise<void> {
  if ((await run('iptables', ['-w', '-t', j.table, '-C', j.chain, ...j.rule])).code === 0) return;
  const add = await run('iptables', ['-w', '-t', j.table, '-I', j.chain, ...j.rule]);
  if (add.code !== 0) throw new Error(`iptables -t ${j.table} -I ${j.chain}: ${add.stderr.trim()}`);
}

export async function deleteJump(j: JumpRule): Promise<void> {
  // Every copy, in case an earlier run crashed after adding one.
  for (let i = 0; i < 10; i++) if ((await run('iptables', ['-w', '-t', j.table, '-D', j.chain, ...j.rule])).code !== 0) return;
}
