// The cluster's PKI, made on first start and kept in DIR/pki: a CA, the API server's serving
// certificate (127.0.0.1, localhost and the --address), an admin client certificate
// (CN=kujira-admin, O=system:masters) and a client certificate the API server presents to
// node agents (pods/log). Keys are ECDSA P-256; signing is done by the `openssl` CLI, which
// takes a few milliseconds per certificate.
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdir, readFile, rm, writeFile, access } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface KeyPair {
  cert: string;
  key: string;
}

export interface Pki {
  dir: string;
  ca: KeyPair;
  serving: KeyPair;
  admin: KeyPair;
  kubeletClient: KeyPair;
}

interface CertRequest {
  name: string;
  subject: string;
  extensions: string[];
  days: number;
}

const CA_DAYS = 3650;
const LEAF_DAYS = 825;

function configText(req: CertRequest): string {
  return [
    '[req]',
    'distinguished_name = dn',
    'prompt = no',
    'x509_extensions = ext',
    '[dn]',
    ...subjectLines(req.subject),
    '[ext]',
    ...req.extensions,
    '',
  ].join('\n');
}

/** `/O=system:masters/CN=kujira-admin` → config lines. */
function subjectLines(subject: string): string[] {
  return subject
    .split('/')
    .filter(Boolean)
    .map((part) => {
      const [k, v] = part.split('=');
      return `${k} = ${v}`;
    });
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

async function issue(dir: string, req: CertRequest, signer?: { certPath: string; keyPath: string }): Promise<void> {
  const cnf = join(dir, `${req.name}.cnf`);
  await writeFile(cnf, configText(req), { mode: 0o600 });
  const args = [
    'req', '-x509', '-new', '-nodes',
    '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
    '-keyout', join(dir, `${req.name}.key`),
    '-out', join(dir, `${req.name}.crt`),
    '-days', String(req.days),
    '-config', cnf,
  ];
  if (signer) args.push('-CA', signer.certPath, '-CAkey', signer.keyPath);
  try {
    await run('openssl', args);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('the openssl command is needed to create the cluster certificates; install it (e.g. apt-get install openssl)', { cause: err });
    }
    throw new Error(`cannot create certificate ${req.name} with openssl: ${(err as Error).message}`, { cause: err });
  } finally {
    await rm(cnf, { force: true });
  }
}

async function readPair(dir: string, name: string): Promise<KeyPair> {
  const [cert, key] = await Promise.all([readFile(join(dir, `${name}.crt`), 'utf8'), readFile(join(dir, `${name}.key`), 'utf8')]);
  return { cert, key };
}

function servingSans(extraHosts: string[]): string {
  const hosts = new Set(['127.0.0.1', 'localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', ...extraHosts]);
  return [...hosts].map((h) => (isIP(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
}

/** True when the serving certificate still names every host we serve under and is not about to expire. */
function servingCertFits(pem: string, hosts: string[], now: Date): boolean {
  const cert = new X509Certificate(pem);
  if (new Date(cert.validTo).getTime() - now.getTime() < 7 * 24 * 3600 * 1000) return false;
  const alt = cert.subjectAltName ?? '';
  return hosts.every((h) => alt.includes(isIP(h) ? `IP Address:${h}` : `DNS:${h}`));
}

/**
 * Loads the PKI from `dir`, creating whatever is missing. The serving certificate is re-issued
 * when `hosts` (the --address) is not among its names.
 */
export async function ensurePki(dir: string, hosts: string[], now: Date = new Date()): Promise<Pki> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const caCert = join(dir, 'ca.crt');
  const caKey = join(dir, 'ca.key');
  if (!(await exists(caCert)) || !(await exists(caKey))) {
    await issue(dir, {
      name: 'ca',
      subject: '/CN=kujira-ca',
      days: CA_DAYS,
      extensions: ['basicConstraints = critical, CA:TRUE', 'keyUsage = critical, keyCertSign, cRLSign, digitalSignature', 'subjectKeyIdentifier = hash'],
    });
  }
  const signer = { certPath: caCert, keyPath: caKey };
  const leaf = (usage: string) => ['basicConstraints = critical, CA:FALSE', 'keyUsage = critical, digitalSignature, keyEncipherment', `extendedKeyUsage = ${usage}`];
  const jobs: Promise<void>[] = [];
  const servingPath = join(dir, 'apiserver.crt');
  const servingOk = (await exists(servingPath)) && (await exists(join(dir, 'apiserver.key'))) && servingCertFits(await readFile(servingPath, 'utf8'), hosts, now);
  if (!servingOk) {
    jobs.push(issue(dir, { name: 'apiserver', subject: '/CN=kube-apiserver', days: LEAF_DAYS, extensions: [...leaf('serverAuth'), `subjectAltName = ${servingSans(hosts)}`] }, signer));
  }
  if (!(await exists(join(dir, 'admin.crt'))) || !(await exists(join(dir, 'admin.key')))) {
    jobs.push(issue(dir, { name: 'admin', subject: '/O=system:masters/CN=kujira-admin', days: LEAF_DAYS, extensions: leaf('clientAuth') }, signer));
  }
  if (!(await exists(join(dir, 'apiserver-kubelet-client.crt'))) || !(await exists(join(dir, 'apiserver-kubelet-client.key')))) {
    jobs.push(
      issue(dir, { name: 'apiserver-kubelet-client', subject: '/O=system:masters/CN=kube-apiserver-kubelet-client', days: LEAF_DAYS, extensions: leaf('clientAuth') }, signer),
    );
  }
  await Promise.all(jobs);
  const [ca, serving, admin, kubeletClient] = await Promise.all([
    readPair(dir, 'ca'),
    readPair(dir, 'apiserver'),
    readPair(dir, 'admin'),
    readPair(dir, 'apiserver-kubelet-client'),
  ]);
  return { dir, ca, serving, admin, kubeletClient };
}

/** Subject fields of a verified client certificate: CN is the user, O the groups. */
export function identityFromSubject(subject: { CN?: string | string[]; O?: string | string[] }): { user: string; groups: string[] } | undefined {
  const cn = Array.isArray(subject.CN) ? subject.CN[0] : subject.CN;
  if (!cn) return undefined;
  const o = subject.O === undefined ? [] : Array.isArray(subject.O) ? subject.O : [subject.O];
  return { user: cn, groups: o };
}
