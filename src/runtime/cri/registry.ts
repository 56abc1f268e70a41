// A minimal OCI distribution client that pushes one image to a registry over plain HTTP (blobs, then the
// manifest): enough to fill a local registry on 127.0.0.1 for pulls through containerd, without skopeo.
import { OCI_MANIFEST, type OciImage } from './images.js';

/** A push the registry refused; the message carries its status and answer. */
export class RegistryError extends Error {
  override name = 'RegistryError';
}

async function expect(res: Response, wanted: number[], what: string): Promise<Response> {
  if (!wanted.includes(res.status)) {
    const body = (await res.text().catch(() => '')).trim().slice(0, 500);
    throw new RegistryError(`${what}: HTTP ${res.status}${body ? `: ${body}` : ''}`);
  }
  return res;
}

async function pushBlob(base: string, repository: string, digest: string, data: Buffer): Promise<void> {
  const head = await fetch(`${base}/v2/${repository}/blobs/${digest}`, { method: 'HEAD' });
  if (head.status === 200) return;
  const start = await expect(await fetch(`${base}/v2/${repository}/blobs/uploads/`, { method: 'POST' }), [202], `starting upload of ${digest}`);
  const location = start.headers.get('location');
  if (!location) throw new RegistryError(`starting upload of ${digest}: no Location in the answer`);
  const url = new URL(location, base);
  url.searchParams.set('digest', digest);
  await expect(await fetch(url, {
    method: 'PUT', body: new Uint8Array(data), headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(data.length) },
  }), [201], `uploading ${digest}`);
}

/**
 * Pushes the image as `<registry>/<repository>:<tag>`; `registry` is host:port (plain HTTP) or a URL.
 * Returns the manifest digest (what the image is pulled by).
 */
export async function pushImage(registry: string, repository: string, tag: string, image: OciImage): Promise<string> {
  const base = /^https?:\/\//.test(registry) ? registry.replace(/\/$/, '') : `http://${registry}`;
  await pushBlob(base, repository, image.configDigest, image.config);
  await pushBlob(base, repository, image.layerDigest, image.layer);
  await expect(await fetch(`${base}/v2/${repository}/manifests/${tag}`, {
    method: 'PUT', body: new Uint8Array(image.manifest), headers: { 'Content-Type': OCI_MANIFEST },
  }), [201], `putting manifest ${repository}:${tag}`);
  return image.manifestDigest;
}
