// Test fixture: a tiny HTTPS server that answers `GET /stats/summary` with whatever
// Summary the test sets, on 127.0.0.1 and a free port, with a throwaway self-signed
// certificate (made with openssl). It stands in for a node's kubelet endpoint until
// simulated nodes serve their own; it is not a mock of the code under test.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Summary } from '../metrics/summary.js';

export interface KubeletFixture {
  url: string;
  port: number;
  /** The Summary served next; a function is called per request. */
  summary: Summary | (() => Summary);
  /** When set, requests get this HTTP status and no summary. */
  failWith?: number;
  /** When set, requests are held this long before the answer (for timeouts). */
  delayMs?: number;
  requests: number;
  close(): Promise<void>;
}

let cached: { key: string; cert: string } | undefined;

export function selfSignedCert(): { key: string; cert: string } {
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'kujira-kubelet-cert-'));
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=kubelet', '-addext', 'subjectAltName=IP:127.0.0.1'],
      { stdio: 'ignore' },
    );
    cached = { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
    return cached;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function startKubeletFixture(summary: Summary | (() => Summary)): Promise<KubeletFixture> {
  const fixture = { summary, requests: 0 } as KubeletFixture;
  const server = https.createServer(selfSignedCert(), (req, res) => {
    fixture.requests++;
    const answer = () => {
      if (req.url?.split('?')[0] !== '/stats/summary') {
        res.writeHead(404).end('404 page not found');
        return;
      }
      if (fixture.failWith) {
        res.writeHead(fixture.failWith).end('failing on purpose');
        return;
      }
      const s = typeof fixture.summary === 'function' ? fixture.summary() : fixture.summary;
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(s));
    };
    if (fixture.delayMs) setTimeout(answer, fixture.delayMs);
    else answer();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  fixture.port = port;
  fixture.url = `https://127.0.0.1:${port}`;
  fixture.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fixture;
}

/** A Summary for one node whose pods each have one container with the given usage. */
export function summaryOf(
  nodeName: string,
  node: { cpuNanoCores: number; memoryBytes: number },
  pods: Array<{ namespace: string; name: string; uid?: string; containers: Array<{ name: string; cpuNanoCores?: number; memoryBytes?: number }> }>,
  at = new Date(),
): Summary {
  const time = at.toISOString();
  return {
    node: { nodeName, cpu: { time, usageNanoCores: node.cpuNanoCores }, memory: { time, workingSetBytes: node.memoryBytes } },
    pods: pods.map((p) => ({
      podRef: { name: p.name, namespace: p.namespace, uid: p.uid ?? `uid-${p.name}` },
      containers: p.containers.map((c) => ({
        name: c.name,
        cpu: c.cpuNanoCores === undefined ? undefined : { time, usageNanoCores: c.cpuNanoCores },
        memory: c.memoryBytes === undefined ? undefined : { time, workingSetBytes: c.memoryBytes },
      })),
    })),
  };
}
