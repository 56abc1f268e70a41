// The kubelet Summary API (`GET /stats/summary`), the part metrics-server reads:
// per-node and per-container CPU (nanocores) and working-set memory (bytes).
// Every kujira node (containerd agent and simulated) serves this shape on its
// kubelet endpoint; the scraper fetches it over HTTPS without verifying the
// serving certificate (kubelets serve self-signed certificates by default).
import https from 'node:https';
import { createSecureContext } from 'node:tls';

export interface CpuStats {
  time?: string;
  usageNanoCores?: number;
  usageCoreNanoSeconds?: number;
}

export interface MemoryStats {
  time?: string;
  workingSetBytes?: number;
  usageBytes?: number;
}

export interface ContainerStats {
  name: string;
  startTime?: string;
  cpu?: CpuStats;
  memory?: MemoryStats;
}

export interface PodStats {
  podRef: { name: string; namespace: string; uid?: string };
  startTime?: string;
  containers?: ContainerStats[];
  cpu?: CpuStats;
  memory?: MemoryStats;
}

export interface NodeStats {
  nodeName: string;
  startTime?: string;
  cpu?: CpuStats;
  memory?: MemoryStats;
}

export interface Summary {
  node: NodeStats;
  pods?: PodStats[];
}

export class SummaryFetchError extends Error {
  override name = 'SummaryFetchError';
}

/** A client certificate and key (PEM) presented to kubelets that verify their callers. */
export interface ClientCertificate {
  cert: string;
  key: string;
}

/**
 * One keep-alive agent and one TLS context per client identity: a scrape of 1,000 nodes every
 * 15 s must not parse the key and build a context per request (that was most of its cost).
 */
const agents = new Map<string, https.Agent>();

function agentFor(clientCert: ClientCertificate | undefined): https.Agent {
  const id = clientCert ? clientCert.cert : '';
  let agent = agents.get(id);
  if (!agent) {
    const secureContext = createSecureContext(clientCert ? { cert: clientCert.cert, key: clientCert.key } : {});
    agent = new https.Agent({ keepAlive: true, maxFreeSockets: 4, maxCachedSessions: 2000, rejectUnauthorized: false, secureContext });
    agents.set(id, agent);
  }
  return agent;
}

/** Parsed `<base>/stats/summary` per kubelet, so a round over 1,000 nodes does not parse 1,000 URLs again. */
const summaryUrls = new Map<string, URL>();
const MAX_SUMMARY_URLS = 10_000;

function summaryUrl(baseUrl: string): URL {
  let url = summaryUrls.get(baseUrl);
  if (!url) {
    if (summaryUrls.size >= MAX_SUMMARY_URLS) summaryUrls.clear();
    url = new URL('/stats/summary', baseUrl);
    summaryUrls.set(baseUrl, url);
  }
  return url;
}

/** Fetches `<baseUrl>/stats/summary`; rejects on non-200, bad JSON or timeout. */
export function fetchSummary(baseUrl: string, timeoutMs: number, bearerToken?: string, clientCert?: ClientCertificate): Promise<Summary> {
  const url = summaryUrl(baseUrl);
  return new Promise((resolve, reject) => {
    const req = https.get(
      url,
      {
        rejectUnauthorized: false,
        agent: agentFor(clientCert),
        timeout: timeoutMs,
        headers: { Accept: 'application/json', ...(bearerToken ? { Authorization: `Bearer ${bearerToken}` } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) {
            reject(new SummaryFetchError(`GET ${url.href}: HTTP ${res.statusCode}: ${body.slice(0, 200)}`));
            return;
          }
          try {
            const parsed = JSON.parse(body) as Summary;
            if (!parsed || typeof parsed !== 'object' || !parsed.node) throw new Error('no "node" in summary');
            resolve(parsed);
          } catch (err) {
            reject(new SummaryFetchError(`GET ${url.href}: invalid summary: ${(err as Error).message}`, { cause: err }));
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new SummaryFetchError(`GET ${url.href}: timed out after ${timeoutMs}ms`)));
    req.on('error', reject);
  });
}
