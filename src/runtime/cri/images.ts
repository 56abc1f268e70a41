// OCI images built in TypeScript from the host's busybox-static (no registry, no docker), and their import
// into containerd's k8s.io namespace with `ctr`, which ships with containerd.
import { createHash } from 'node:crypto';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { CriClient } from './client.js';
import { run, which } from './host.js';
import { buildTar, readTarFiles, type TarEntry } from './tar.js';

/** The sandbox ("pause") image: a shell that sleeps and exits 0 on TERM/INT. Named on loopback so no pull can leave the machine. */
export const PAUSE_IMAGE = '127.0.0.1:5000/kujira/pause:1';
/** The demo/test application image, under both of its names. */
export const DEMO_IMAGE = 'localhost/kujira-demo:1';
export const DEMO_IMAGE_LOOPBACK = '127.0.0.1:5000/kujira/demo:1';
const BUSYBOX = '/bin/busybox';

export interface ImageSpecification {
  names: string[];
  files: TarEntry[];
  entrypoint?: string[];
  cmd?: string[];
  env?: string[];
  workingDir?: string;
  exposedPorts?: string[];
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

async function busyboxEntries(): Promise<TarEntry[]> {
  let busybox: Buffer;
  try {
    busybox = await readFile(BUSYBOX);
  } catch (err) {
    throw new Error(`cannot build images: ${BUSYBOX} is missing (apt-get install busybox-static)`, { cause: err });
  }
  const applets = (await run(BUSYBOX, ['--list'])).stdout.split('\n').map((s) => s.trim()).filter((s) => s && s !== 'busybox');
  const entries: TarEntry[] = [
    ...['bin', 'etc', 'tmp', 'proc', 'sys', 'dev', 'root', 'var', 'var/log', 'usr', 'usr/bin'].map((path): TarEntry => ({ path, type: 'dir', mode: path === 'tmp' ? 0o1777 : 0o755 })),
    { path: 'bin/busybox', type: 'file', mode: 0o755, data: busybox },
    { path: 'etc/passwd', type: 'file', data: Buffer.from('root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n') },
    { path: 'etc/group', type: 'file', data: Buffer.from('root:x:0:\nnogroup:x:65534:\n') },
  ];
  for (const applet of applets) entries.push({ path: `bin/${applet}`, type: 'symlink', linkTarget: 'busybox' });
  entries.push({ path: 'usr/bin/env', type: 'symlink', linkTarget: '../../bin/busybox' });
  return entries;
}

/** The pause image: PID 1 must trap TERM itself, or it would only die by SIGKILL. */
export async function pauseImage(): Promise<ImageSpecification> {
  return {
    names: [PAUSE_IMAGE],
    files: await busyboxEntries(),
    entrypoint: ['/bin/sh', '-c', 'trap "exit 0" TERM INT; while :; do sleep 86400 & wait $!; done'],
  };
}

/**
 * The demo application: busybox httpd on $PORT (8080) with static /healthy and /ready (200 "ok") that
 * /cgi-bin/fail?healthy or ?ready removes (then 404), /cgi-bin/info (hostname, IPs, environment),
 * /cgi-bin/fs?path=P and /cgi-bin/write?path=P&text=T. Logs a line on start, per request and on SIGTERM, and exits 0 on SIGTERM.
 * CGI headers end in CRLF: Node's HTTP parser (used by the agent's probes) rejects bare LF.
 */
export async function demoImage(): Promise<ImageSpecification> {
  const script = `#!/bin/sh
port="\${PORT:-8080}"
echo "kujira-demo: starting on port $port as $(hostname)"
httpd -f -vv -p "$port" -h /www &
child=$!
trap 'echo "kujira-demo: SIGTERM received, exiting"; kill $child 2>/dev/null; exit 0' TERM INT
wait $child
`;
  const cgi = (body: string) => `#!/bin/sh
printf 'Content-Type: text/plain\\r\\n\\r\\n'
${body}
`;
  const param = (name: string) => `$(echo "$QUERY_STRING" | tr '&' '\\n' | sed -n 's/^${name}=//p' | head -n1 | httpd -d "$(cat)")`;
  return {
    names: [DEMO_IMAGE, DEMO_IMAGE_LOOPBACK],
    files: [
      ...(await busyboxEntries()),
      { path: 'www', type: 'dir' },
      { path: 'www/cgi-bin', type: 'dir' },
      { path: 'bin/kujira-demo', type: 'file', mode: 0o755, data: Buffer.from(script) },
      { path: 'www/healthy', type: 'file', data: Buffer.from('ok\n') },
      { path: 'www/ready', type: 'file', data: Buffer.from('ok\n') },
      { path: 'www/index.html', type: 'file', data: Buffer.from('kujira-demo: see /cgi-bin/info\n') },
      { path: 'www/cgi-bin/info', type: 'file', mode: 0o755, data: Buffer.from(cgi('echo "hostname: $(hostname)"\necho "ips: $(ip -4 -o addr show | sed -n \'s/.* inet \\([0-9.]*\\).*/\\1/p\' | tr \'\\n\' \' \')"\nenv | sort')) },
      { path: 'www/cgi-bin/fail', type: 'file', mode: 0o755, data: Buffer.from(cgi('case "$QUERY_STRING" in healthy|ready) rm -f "/www/$QUERY_STRING"; echo "/$QUERY_STRING now fails";; *) echo "use ?healthy or ?ready";; esac')) },
      { path: 'www/cgi-bin/fs', type: 'file', mode: 0o755, data: Buffer.from(cgi(`ls -la "${param('path')}" 2>&1`)) },
      { path: 'www/cgi-bin/write', type: 'file', mode: 0o755, data: Buffer.from(cgi(`p="${param('path')}"; echo "${param('text')}" > "$p" && echo "wrote $p"`)) },
    ],
    entrypoint: ['/bin/kujira-demo'],
    env: ['PATH=/bin:/usr/bin', 'PORT=8080'],
    exposedPorts: ['8080/tcp'],
  };
}

/** Writes an OCI image-layout archive (oci-layout, index.json, blobs) holding one single-layer image. */
export function buildOciArchive(spec: ImageSpecification): Buffer {
  const layerTar = buildTar(spec.files);
  const layerGz = gzipSync(layerTar, { level: 6 });
  const config = Buffer.from(JSON.stringify({
    architecture: process.arch === 'x64' ? 'amd64' : process.arch === 'arm64' ? 'arm64' : process.arch,
    os: 'linux',
    created: '2024-01-01T00:00:00Z',
    config: {
      Entrypoint: spec.entrypoint,
      Cmd: spec.cmd,
      Env: spec.env ?? ['PATH=/bin:/usr/bin'],
      WorkingDir: spec.workingDir ?? '/',
      ExposedPorts: spec.exposedPorts ? Object.fromEntries(spec.exposedPorts.map((p) => [p, {}])) : undefined,
    },
    rootfs: { type: 'layers', diff_ids: [`sha256:${sha256(layerTar)}`] },
    history: [{ created: '2024-01-01T00:00:00Z', created_by: 'kujira image builder' }],
  }));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${sha256(config)}`, size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${sha256(layerGz)}`, size: layerGz.length }],
  }));
  const manifestDigest = `sha256:${sha256(manifest)}`;
  const index = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: spec.names.map((name) => ({
      mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: manifestDigest, size: manifest.length,
      // Without io.containerd.image.name ctr would invent "import-<date>:<tag>"; ref.name keeps skopeo's oci-archive:FILE:TAG working.
      annotations: { 'io.containerd.image.name': name, 'org.opencontainers.image.ref.name': name.slice(name.lastIndexOf(':') + 1) },
    })),
  }));
  const blob = (data: Buffer): TarEntry => ({ path: `blobs/sha256/${sha256(data)}`, type: 'file', data });
  return buildTar([
    { path: 'oci-layout', type: 'file', data: Buffer.from('{"imageLayoutVersion":"1.0.0"}') },
    { path: 'index.json', type: 'file', data: index },
    { path: 'blobs', type: 'dir' },
    { path: 'blobs/sha256', type: 'dir' },
    blob(config), blob(manifest), blob(layerGz),
  ]);
}

/**
 * Loads an OCI image-layout or `docker save` archive into the node's image store (containerd namespace k8s.io).
 * Refuses, with a clear message, a file that is not such an archive. Returns the image names it holds.
 */
export async function importImageArchive(socket: string, file: string): Promise<string[]> {
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  const names = archiveImageNames(data, file);
  const ctr = await which('ctr');
  if (!ctr) throw new Error('ctr (from the containerd package) is not installed');
  const result = await run(ctr, ['--address', socket, '--namespace', 'k8s.io', 'images', 'import', file], { timeoutMs: 300_000 });
  if (result.code !== 0) throw new Error(`importing ${file}: ${(result.stderr || result.stdout).trim()}`);
  return names;
}

/** Image names inside an OCI layout (index.json annotations) or docker archive (manifest.json RepoTags). */
export function archiveImageNames(data: Buffer, file = 'archive'): string[] {
  let files: Map<string, Buffer>;
  try {
    files = readTarFiles(data, (name) => name === 'index.json' || name === 'manifest.json' || name === 'oci-layout');
  } catch {
    throw new Error(`${file} is not an image archive (expected a tar from "docker save" or an OCI image layout)`);
  }
  const manifestJson = files.get('manifest.json');
  const indexJson = files.get('index.json');
  try {
    if (manifestJson) {
      const entries = JSON.parse(manifestJson.toString()) as { RepoTags?: string[] }[];
      return entries.flatMap((e) => e.RepoTags ?? []);
    }
    if (indexJson && files.has('oci-layout')) {
      const index = JSON.parse(indexJson.toString()) as { manifests?: { annotations?: Record<string, string> }[] };
      return (index.manifests ?? []).map((m) => m.annotations?.['io.containerd.image.name'] ?? m.annotations?.['org.opencontainers.image.ref.name'] ?? '').filter(Boolean);
    }
  } catch (err) {
    throw new Error(`${file} is not an image archive: ${(err as Error).message}`, { cause: err });
  }
  throw new Error(`${file} is not an image archive (no manifest.json or oci-layout + index.json inside)`);
}

const BUILDERS: Record<string, () => Promise<ImageSpecification>> = {
  [PAUSE_IMAGE]: pauseImage,
  [DEMO_IMAGE]: demoImage,
  [DEMO_IMAGE_LOOPBACK]: demoImage,
};

/** Builds and imports each of the built-in images (PAUSE_IMAGE, DEMO_IMAGE...) the store lacks. */
export async function ensureBuiltinImages(socket: string, client: CriClient, cacheDir: string | null, names: string[]): Promise<void> {
  const done = new Set<() => Promise<ImageSpecification>>();
  for (const name of names) {
    const build = BUILDERS[name];
    if (!build) throw new Error(`${name} is not a built-in image`);
    if (done.has(build) || (await client.imageStatus(name))) continue;
    done.add(build);
    const dir = cacheDir ?? (await mkdtemp(join(tmpdir(), 'kujira-images-')));
    await mkdir(dir, { recursive: true });
    const file = join(dir, `${name.replace(/[^A-Za-z0-9.-]+/g, '_')}.oci.tar`);
    await writeFile(file, buildOciArchive(await build()));
    try {
      await importImageArchive(socket, file);
    } finally {
      if (!cacheDir) await rm(dir, { recursive: true, force: true });
    }
  }
}
