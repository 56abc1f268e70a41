import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

// The agent's V8 flags are set at run time; this checks, in a process of its own, that V8 accepts them
// there and that the young generation then stays at its starting size under a churn that would grow it.
test('the agent V8 flags take effect when set at run time: the young generation does not grow', async () => {
  const agentModule = new URL('./agent.js', import.meta.url).href;
  const script = `
    import v8 from 'node:v8';
    const newSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
    if (process.argv[1] === 'with-flags') {
      const { AGENT_V8_FLAGS } = await import(${JSON.stringify(agentModule)});
      for (const flag of AGENT_V8_FLAGS) v8.setFlagsFromString(flag);
    }
    // Objects that survive a scavenge or two: what makes V8 grow the young generation.
    let keep = [];
    for (let i = 0; i < 2e6; i++) { keep.push({ i, s: 'x' + i }); if (keep.length > 5000) keep = []; }
    process.stdout.write(String(newSpace()));
  `;
  const newSpaceAfterChurn = (mode: string) => new Promise<number>((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', script, mode], { cwd: fileURLToPath(new URL('.', import.meta.url)) }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(Number(stdout));
    });
  });
  const [plain, tuned] = await Promise.all([newSpaceAfterChurn('plain'), newSpaceAfterChurn('with-flags')]);
  assert.ok(plain > 8 * 2 ** 20, `without the flags V8 grows the young generation (${plain} bytes)`);
  assert.ok(tuned <= 2 * 2 ** 20, `with them it stays at its starting size (${tuned} bytes)`);
});
