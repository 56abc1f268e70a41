import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { core, discovery } from '../api/types.js';
import { chainPrefix, cidrsOverlap, natRules, portals, restoreInput } from './rules.js';

const svc = (name: string, clusterIP: string, ports: core.ServicePort[]): core.Service => ({ metadata: { name, namespace: 'default' }, spec: { clusterIP, ports } });
const slice = (service: string, ports: discovery.EndpointPort[], endpoints: Array<[string, boolean]>): discovery.EndpointSlice => ({
  metadata: { name: `${service}-abcde`, namespace: 'default', labels: { 'kubernetes.io/service-name': service } },
  addressType: 'IPv4',
  ports,
  endpoints: endpoints.map(([ip, ready]) => ({ addresses: [ip], conditions: { ready } })),
});

test('portals: ready endpoints by port name and protocol; headless, loopback and not-ready left out', () => {
  const list = portals(
    [
      svc('kuard', '10.96.0.10', [{ port: 80, protocol: 'TCP' }]),
      svc('multi', '10.96.0.11', [{ name: 'web', port: 80, protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }]),
      svc('headless', 'None', [{ port: 80, protocol: 'TCP' }]),
      svc('kubernetes', '10.96.0.1', [{ name: 'https', port: 443, protocol: 'TCP' }]),
    ],
    [
      slice('kuard', [{ name: '', port: 8080, protocol: 'TCP' }], [['10.1.0.3', true], ['10.1.0.2', true], ['10.1.0.9', false]]),
      slice('multi', [{ name: 'web', port: 8080, protocol: 'TCP' }, { name: 'dns', port: 5353, protocol: 'UDP' }], [['10.1.0.4', true]]),
      slice('kubernetes', [{ name: 'https', port: 6443, protocol: 'TCP' }], [['127.0.0.1', true]]),
    ],
  );
  assert.deepEqual(
    list.map((p) => [p.id, p.clusterIP, p.port, p.protocol, p.backends.map((b) => `${b.ip}:${b.port}`)]),
    [
      ['default/kuard:', '10.96.0.10', 80, 'tcp', ['10.1.0.2:8080', '10.1.0.3:8080']],
      ['default/kubernetes:https', '10.96.0.1', 443, 'tcp', []],
      ['default/multi:dns', '10.96.0.11', 53, 'udp', ['10.1.0.4:5353']],
      ['default/multi:web', '10.96.0.11', 80, 'tcp', ['10.1.0.4:8080']],
    ],
  );
});

test('nat rules: one jump per portal, 1/n random picks, DNAT per endpoint, stale chains deleted', () => {
  const prefix = chainPrefix('/data/node');
  assert.match(prefix, /^KJ-[0-9a-f]{6}-$/);
  const rules = natRules(prefix, [
    { id: 'default/kuard:', clusterIP: '10.96.0.10', port: 80, protocol: 'tcp', backends: ['10.1.0.2', '10.1.0.3', '10.1.0.4'].map((ip) => ({ ip, port: 8080 })) },
    { id: 'default/empty:', clusterIP: '10.96.0.12', port: 80, protocol: 'tcp', backends: [] },
  ]);
  const top = rules.chains.get(`${prefix}SERVICES`)!;
  assert.equal(top.length, 1);
  assert.deepEqual(top[0]!.slice(0, 4), ['-d', '10.96.0.10/32', '-p', 'tcp']);
  const svcChain = top[0]!.at(-1)!;
  assert.ok(svcChain.length <= 28, svcChain);
  const picks = rules.chains.get(svcChain)!.map((r) => (r.includes('--probability') ? r[r.indexOf('--probability') + 1] : 'rest'));
  assert.deepEqual(picks, ['0.3333333333', '0.5000000000', 'rest']);
  const dnat = [...rules.chains.entries()].filter(([c]) => c.includes('-E-')).map(([, r]) => r[0]!.at(-1));
  assert.deepEqual(dnat.sort(), ['10.1.0.2:8080', '10.1.0.3:8080', '10.1.0.4:8080']);

  const text = restoreInput(rules, [`${prefix}SERVICES`, `${prefix}S-OLD`]);
  assert.match(text, /^\*nat\n/);
  assert.match(text, new RegExp(`:${prefix}S-OLD - \\[0:0\\]\\n[\\s\\S]*-X ${prefix}S-OLD\\nCOMMIT\\n$`));
  assert.match(text, /--comment "default\/kuard: -> 10\.1\.0\.2:8080"/);
});

test('cidrsOverlap', () => {
  assert.equal(cidrsOverlap('10.96.0.0/12', '10.100.3.0/24'), true);
  assert.equal(cidrsOverlap('10.96.0.0/12', '10.112.0.0/24'), false);
  assert.equal(cidrsOverlap('10.1.2.0/24', '10.1.2.128/25'), true);
});
