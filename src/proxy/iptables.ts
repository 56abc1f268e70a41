// The I/O half of the proxy: reading our chains with iptables-save, writing them with
// iptables-restore --noflush, the few rules in the built-in chains (rules.ts: hostRules), and the
// route_localnet switch of our own pod bridge.
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import type { JumpRule } from './rules.js';

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


export async function ensureJump(j: JumpRule): Promise<void> {
  if ((await run('iptables', ['-w', '-t', j.table, '-C', j.chain, ...j.rule])).code === 0) return;
  const add = await run('iptables', ['-w', '-t', j.table, '-I', j.chain, ...j.rule]);
  if (add.code !== 0) throw new Error(`iptables -t ${j.table} -I ${j.chain}: ${add.stderr.trim()}`);
}

export async function deleteJump(j: JumpRule): Promise<void> {
  // Every copy, in case an earlier run crashed after adding one.
  for (let i = 0; i < 10; i++) if ((await run('iptables', ['-w', '-t', j.table, '-D', j.chain, ...j.rule])).code !== 0) return;
}

/** net.ipv4.conf.<iface>.route_localnet, or undefined when the interface does not exist (yet). */
export async function readRouteLocalnet(iface: string): Promise<string | undefined> {
  try {
    return (await readFile(`/proc/sys/net/ipv4/conf/${iface}/route_localnet`, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

export async function writeRouteLocalnet(iface: string, value: '0' | '1'): Promise<void> {
  await writeFile(`/proc/sys/net/ipv4/conf/${iface}/route_localnet`, value);
}
