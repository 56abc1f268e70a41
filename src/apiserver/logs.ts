// pods/log: the API server proxies to the node agent's kubelet endpoint,
//   https://<node InternalIP>:<status.daemonEndpoints.kubeletEndpoint.Port>/containerLogs/<ns>/<pod>/<container>?...
// authenticating with its kubelet-client certificate, and streams the answer back.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request } from 'node:https';
import { ApiError, errors } from '../api/errors.js';
import type { KubeObject } from '../api/types.js';
import type { KeyPair } from './certs/pki.js';
import type { ObjectService } from './rest/objects.js';
import type { ResourceIndex } from './resources.js';

const FORWARDED_PARAMS = ['follow', 'previous', 'tailLines', 'timestamps', 'sinceSeconds', 'sinceTime', 'limitBytes'];

interface PodShape {
  spec?: { nodeName?: string; containers?: { name: string }[]; initContainers?: { name: string }[] };
}
interface NodeShape {
  status?: { addresses?: { type: string; address: string }[]; daemonEndpoints?: { kubeletEndpoint?: { Port?: number } } };
}

export class PodLogProxy {
  constructor(
    private readonly service: ObjectService,
    private readonly index: ResourceIndex,
    private readonly clientCert: KeyPair,
  ) {}

  async proxy(req: IncomingMessage, res: ServerResponse, ns: string, name: string, q: URLSearchParams): Promise<void> {
    const pods = this.index.lookup('', 'v1', 'pods')!;
    const nodes = this.index.lookup('', 'v1', 'nodes');
    const pod = (await this.service.get(pods, ns, name)) as KubeObject & PodShape;
    const names = (pod.spec?.containers ?? []).map((c) => c.name);
    const all = [...names, ...(pod.spec?.initContainers ?? []).map((c) => c.name)];
    let container = q.get('container') ?? '';
    if (!container) {
      if (names.length !== 1) {
        throw errors.badRequest(`a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]`);
      }
      container = names[0];
    } else if (!all.includes(container)) {
      throw errors.badRequest(`container ${container} is not valid for pod ${name}`);
    }
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) throw errors.badRequest(`pod ${name} does not have a host assigned`);
    if (!nodes) throw errors.badRequest(`node "${nodeName}" is not served`);
    const node = (await this.service.get(nodes, undefined, nodeName)) as KubeObject & NodeShape;
    const ip = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
    const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port;
    if (!ip || !port) {
      throw new ApiError(503, 'ServiceUnavailable', `node "${nodeName}" has no kubelet endpoint (status.addresses InternalIP and status.daemonEndpoints.kubeletEndpoint.Port)`);
    }
    const params = new URLSearchParams();
    for (const p of FORWARDED_PARAMS) {
      const v = q.get(p);
      if (v !== null) params.set(p, v);
    }
    const path = `/containerLogs/${encodeURIComponent(ns)}/${encodeURIComponent(name)}/${encodeURIComponent(container)}${params.size ? '?' + params : ''}`;
    await new Promise<void>((resolve) => {
      const upstream = request(
        { host: ip, port, path, method: 'GET', cert: this.clientCert.cert, key: this.clientCert.key, rejectUnauthorized: false },
        (up) => {
          const headers: Record<string, string> = { 'Content-Type': up.headers['content-type'] ?? 'text/plain' };
          if ((up.statusCode ?? 500) >= 400 && !String(up.headers['content-type']).includes('json')) {
            // Wrap a plain-text kubelet error as a Status.
            const chunks: Buffer[] = [];
            up.on('data', (c: Buffer) => chunks.push(c));
            up.on('end', () => {
              const err = new ApiError(up.statusCode ?? 500, up.statusCode === 404 ? 'NotFound' : 'InternalError', Buffer.concat(chunks).toString('utf8').trim() || `kubelet answered ${up.statusCode}`);
              res.writeHead(err.code, { 'Content-Type': 'application/json' });
              res.end(JSON.stringify(err.toStatus()));
              resolve();
            });
            return;
          }
          res.writeHead(up.statusCode ?? 200, headers);
          up.pipe(res);
          up.on('end', resolve);
          up.on('error', () => {
            res.destroy();
            resolve();
          });
        },
      );
      upstream.on('error', (e) => {
        if (!res.headersSent) {
          const err = errors.internal(`Get "https://${ip}:${port}${path}": ${e.message}`);
          res.writeHead(500, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify(err.toStatus()));
        } else res.destroy();
        resolve();
      });
      res.on('close', () => upstream.destroy());
      req.on('close', () => upstream.destroy());
      upstream.end();
    });
  }
}
