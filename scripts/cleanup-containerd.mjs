#!/usr/bin/env node
// Removes everything a node agent left behind under DATA_DIR (after a crash or a killed test run):
// adopts its containerd, removes every pod sandbox, stops containerd, deletes the bridge, the firewall rule,
// mounts and the agent's cgroups. Usage: node scripts/cleanup-containerd.mjs DATA_DIR...
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
const { startContainerd } = await import(new URL('../dist/src/runtime/cri/containerd.js', import.meta.url).href);
const { cgroupRoots, removeCgroupTree } = await import(new URL('../dist/src/runtime/cri/host.js', import.meta.url).href);
for (const dir of process.argv.slice(2)) {
  try {
    const handle = await startContainerd({ dataDir: dir, log: (l) => console.log(l) });
    await handle.stop({ removePods: true });
    console.log(`cleaned ${dir}`);
  } catch (err) {
    console.error(`${dir}: ${err.message}`);
  }
}
for (const root of await cgroupRoots()) {
  for (const name of await readdir(root).catch(() => [])) if (name.startsWith('kujira-')) await removeCgroupTree(join(root, name));
}
