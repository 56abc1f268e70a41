// OCI images built in TypeScript from the host's busybox-static (no registry, no docker), and their import
// into containerd's k8s.io namespace with `ctr`, which ships with containerd.
import { createHash } from 'node:crypto';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

/** Where the demo's shell scripts sit: beside this file in src/, or back in src/ when running from dist/src/. */
async function demoScript(name: string): Promise<Buffer> {
  const candidates = [
    fileURLToPath(new URL(`./demo/${name}`, import.meta.url)),
    fileURLToPath(new URL(`../../../../src/runtime/cri/demo/${name}`, import.meta.url)),
  ];
  for (const file of candidates) {
    try { return await readFile(file); } catch { /* next */ }
  }
  throw new Error(`demo image script ${name} not found (looked at ${candidates.join(', ')})`);
}

/**
 * The demo application (in the spirit of kuard), all busybox: HTTP on $PORT (8080) served by `nc -ll -e`
 * with one shell process per request (demo/kujira-demo-request.sh): `/` shows hostname, pod IP and
 * environment; /healthy and /ready answer 200 until /fail/healthy or /fail/ready, then 500; /cpu?seconds=N,
 * /alloc?mb=N, /fs?path=P, /write?path=P&text=T. One log line per request, on start and on SIGTERM (exit 0).
 */
export async function demoImage(): Promise<ImageSpecification> {
  return {
    names: [DEMO_IMAGE, DEMO_IMAGE_LOOPBACK],
    files: [
      ...(await busyboxEntries()),
      { path: 'bin/kujira-demo', type: 'file', mode: 0o755, data: await demoScript('kujira-demo.sh') },
      { path: 'bin/kujira-demo-request', type: 'file', mode: 0o755, data: await demoScript('kujira-demo-request.sh') },
    ],
    entrypoint: ['/bin/kujira-demo'],
    env: ['PATH=/bin:/usr/bin', 'PORT=8080'],
    exposedPorts: ['8080/tcp'],
  };
}

/** A single-layer OCI image as blobs: what an archive holds and what a registry push uploads. */
export interface OciImage {
  names: string[];
  config: Buffer;
  configDigest: string;
  /** The uncompressed layer tar and its gzip (the blob a manifest names). */
  layerTar: Buffer;
  layer: Buffer;
  layerDigest: string;
  manifest: Buffer;
  manifestDigest: string;
}

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/** Builds the image's layer (deterministic tar, gzip), config and manifest. The config digest is the image id. */
export function buildOciImage(spec: ImageSpecification): OciImage {
  const layerTar = buildTar(spec.files);
  const layer = gzipSync(layerTar, { level: 6 });
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
  const configDigest = `sha256:${sha256(config)}`;
  const layerDigest = `sha256:${sha256(layer)}`;
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layerDigest, size: layer.length }],
  }));
  return { names: spec.names, config, configDigest, layerTar, layer, layerDigest, manifest, manifestDigest: `sha256:${sha256(manifest)}` };
}

/** Writes an OCI image-layout archive (oci-layout, index.json, blobs) holding one single-layer image. */
export function buildOciArchive(spec: ImageSpecification | OciImage): Buffer {
  const image = 'manifest' in spec ? spec : buildOciImage(spec);
  const index = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: image.names.map((name) => ({
      mediaType: OCI_MANIFEST, digest: image.manifestDigest, size: image.manifest.length,
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
    blob(image.config), blob(image.manifest), blob(image.layer),
  ]);
}

/**
 * A `docker save` archive of the same image (manifest.json with RepoTags, the config, the layer as a plain
 * tar): the other archive format `kujira image import` accepts.
 */
export function buildDockerArchive(image: OciImage): Buffer {
  const configName = `${image.configDigest.slice('sha256:'.length)}.json`;
  const layerName = `${createHash('sha256').update(image.layerTar).digest('hex')}/layer.tar`;
  const manifest = Buffer.from(JSON.stringify([{ Config: configName, RepoTags: image.names, Layers: [layerName] }]));
  return buildTar([
    { path: 'manifest.json', type: 'file', data: manifest },
    { path: configName, type: 'file', data: image.config },
    { path: layerName.split('/')[0]!, type: 'dir' },
    { path: layerName, type: 'file', data: image.layerTar },
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

/** One built-in image as the builder process wrote it. */
export interface BuiltImageArchive {
  names: string[];
  configDigest: string;
  file: string;
}

/**
 * Builds the built-in images among names (each once, whichever of its names is asked for) and writes each
 * as an OCI archive into dir. Runs in the short-lived process build-images.ts starts (see ensureBuiltinImages).
 */
export async function writeBuiltinImages(dir: string, names: string[]): Promise<BuiltImageArchive[]> {
  const done = new Set<() => Promise<ImageSpecification>>();
  const built: BuiltImageArchive[] = [];
  await mkdir(dir, { recursive: true });
  for (const name of names) {
    const build = BUILDERS[name];
    if (!build) throw new Error(`${name} is not a built-in image`);
    if (done.has(build)) continue;
    done.add(build);
    const image = buildOciImage(await build());
    const file = join(dir, `${name.replace(/[^A-Za-z0-9.-]+/g, '_')}.oci.tar`);
    await writeFile(file, buildOciArchive(image));
    built.push({ names: image.names, configDigest: image.configDigest, file });
  }
  return built;
}

/**
 * Building reads busybox, tars and gzips it: some 10 MB of buffers. In the agent, a long-lived process, the
 * C heap they pass through stays mapped after they are freed (glibc keeps it for reuse), which was ~10 MB of
 * the agent's RSS for good. So the images are built by a process of their own that exits when done.
 */
async function buildInChildProcess(dir: string, names: string[]): Promise<BuiltImageArchive[]> {
  const script = fileURLToPath(new URL('./build-images.js', import.meta.url));
  const result = await run(process.execPath, [script, dir, ...names], { timeoutMs: 120_000 });
  if (result.code !== 0) throw new Error(`building ${names.join(', ')}: ${(result.stderr || result.stdout).trim() || `exit code ${result.code}`}`);
  try {
    return JSON.parse(result.stdout) as BuiltImageArchive[];
  } catch (err) {
    throw new Error(`building ${names.join(', ')}: unexpected output ${JSON.stringify(result.stdout.slice(0, 200))}`, { cause: err });
  }
}

/**
 * Builds each of the built-in images (PAUSE_IMAGE, DEMO_IMAGE...) and imports it when the store lacks it or
 * holds an older build under that name (the image id is the config digest, so a changed build differs).
 */
export async function ensureBuiltinImages(socket: string, client: CriClient, cacheDir: string | null, names: string[]): Promise<void> {
  for (const name of names) if (!BUILDERS[name]) throw new Error(`${name} is not a built-in image`);
  const dir = cacheDir ?? (await mkdtemp(join(tmpdir(), 'kujira-images-')));
  try {
    for (const image of await buildInChildProcess(dir, names)) {
      const present = await Promise.all(image.names.map((n) => client.imageStatus(n)));
      if (!present.every((p) => p?.id === image.configDigest)) {
        await importImageArchive(socket, image.file);
        // The build it replaced stays as an untagged sha256:<config> entry otherwise.
        for (const old of present) if (old && old.id !== image.configDigest) await client.removeImage(old.id).catch(() => {});
      }
      await rm(image.file, { force: true });
    }
  } finally {
    if (!cacheDir) await rm(dir, { recursive: true, force: true });
  }
}
