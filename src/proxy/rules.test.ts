import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { core, discovery } from '../api/types.js';
import { chainPrefix, cidrsOverlap, hostRules, localnetBridge, natRules, nodePortAddressesOf, portals, restoreInput, type JumpRule } from './rules.js';
import { nodePortAddresses } from './node.js';

const svc = (name: string, clusterIP: string, ports: core.ServicePort[], type = 'ClusterIP'): core.Service => ({ metadata: { name, namespace: 'default' }, spec: { type, clusterIP, ports } });
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

test('portals: node ports of NodePort and LoadBalancer Services only', () => {
  const cases: Array<[string, number | undefined]> = [['NodePort', 30080], ['LoadBalancer', 30080], ['ClusterIP', undefined]];
  for (const [type, want] of cases) {
    const [p] = portals([svc('web', '10.96.0.20', [{ port: 80, protocol: 'TCP', nodePort: 30080 }], type)], []);
    assert.equal(p!.nodePort, want, type);
  }
});

test('nat rules: a node port picks the same endpoints as the cluster IP and is masqueraded by its port', () => {
  const prefix = chainPrefix('/data/node');
  const rules = natRules(prefix, [
    { id: 'default/web:', clusterIP: '10.96.0.20', port: 80, protocol: 'tcp', nodePort: 30080, backends: [{ ip: '10.1.0.2', port: 8080 }] },
    { id: 'default/dns:', clusterIP: '10.96.0.21', port: 53, protocol: 'udp', nodePort: 30053, backends: [{ ip: '10.1.0.3', port: 5353 }] },
    { id: 'default/idle:', clusterIP: '10.96.0.22', port: 80, protocol: 'tcp', nodePort: 30081, backends: [] },
  ]);
  const svcChain = rules.chains.get(`${prefix}SERVICES`)![0]!.at(-1);
  const nodePorts = rules.chains.get(`${prefix}NODEPORTS`)!;
  assert.deepEqual(nodePorts.map((r) => [r[1], r[r.indexOf('--dport') + 1]]), [['tcp', '30080'], ['udp', '30053']]);
  assert.equal(nodePorts[0]!.at(-1), svcChain);
  assert.deepEqual(rules.chains.get(`${prefix}NODEPORT-MASQ`), [
    ['-p', 'tcp', '-m', 'comment', '--comment', 'default/web: node port', '-m', 'conntrack', '--ctorigdstport', '30080', '-j', 'MASQUERADE'],
    ['-p', 'udp', '-m', 'comment', '--comment', 'default/dns: node port', '-m', 'conntrack', '--ctorigdstport', '30053', '-j', 'MASQUERADE'],
  ]);
  // The fixed chains exist even when empty: the built-in chains' rules jump to them.
  const empty = natRules(prefix, []);
  assert.deepEqual([...empty.chains.keys()], [`${prefix}SERVICES`, `${prefix}NODEPORTS`, `${prefix}NODEPORT-MASQ`]);
});

const show = (rules: JumpRule[]) => rules.map((r) => `${r.table} ${r.chain} ${r.rule.filter((w, i, all) => all[i - 1] !== '--comment' && w !== '--comment' && !(w === 'comment' && all[i - 1] === '-m') && !(w === '-m' && all[i + 1] === 'comment')).join(' ')}`);

test('host rules: what the built-in chains get, by node-port addresses and bridge', () => {
  const prefix = 'KJ-abcdef-';
  const base = [
    'nat OUTPUT -d 10.96.0.0/12 -j KJ-abcdef-SERVICES',
    'nat PREROUTING -d 10.96.0.0/12 -j KJ-abcdef-SERVICES',
    // Every connection DNATed from a cluster IP is masqueraded: the hairpin (a pod through its own Service
    // to itself) and a pod reaching a pod on its own bridge get their replies back through the host.
    'nat POSTROUTING -m conntrack --ctstate DNAT --ctorigdst 10.96.0.0/12 -j MASQUERADE',
    'filter OUTPUT -d 10.96.0.0/12 -j REJECT',
    'filter FORWARD -d 10.96.0.0/12 -j REJECT',
  ];
  const loopbackPorts = [
    'nat OUTPUT -d 127.0.0.1/32 -m addrtype --dst-type LOCAL -j KJ-abcdef-NODEPORTS',
    'nat POSTROUTING -m conntrack --ctstate DNAT --ctorigdst 127.0.0.1/32 -j KJ-abcdef-NODEPORT-MASQ',
  ];
  const guard = 'filter INPUT -i kj1 -d 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP';
  const cases: Array<{ name: string; addresses: string[]; bridge?: string; want: string[]; localnet?: string }> = [
    { name: 'no node-port addresses', addresses: [], bridge: 'kj1', want: base },
    { name: 'loopback on our bridge', addresses: ['127.0.0.1'], bridge: 'kj1', want: [...base, ...loopbackPorts, guard], localnet: 'kj1' },
    { name: 'loopback without a bridge of ours: not served', addresses: ['127.0.0.1'], want: base },
    {
      name: 'loopback and an InternalIP (also reached from outside: PREROUTING)', addresses: ['127.0.0.1', '192.168.5.7', '127.0.0.1', 'fd00::1'], bridge: 'kj1', localnet: 'kj1',
      want: [
        ...base, ...loopbackPorts,
        'nat OUTPUT -d 192.168.5.7/32 -m addrtype --dst-type LOCAL -j KJ-abcdef-NODEPORTS',
        'nat PREROUTING -d 192.168.5.7/32 -m addrtype --dst-type LOCAL -j KJ-abcdef-NODEPORTS',
        'nat POSTROUTING -m conntrack --ctstate DNAT --ctorigdst 192.168.5.7/32 -j KJ-abcdef-NODEPORT-MASQ',
        guard,
      ],
    },
    { name: 'an InternalIP only: no route_localnet, no guard', addresses: ['192.168.5.7'], bridge: 'kj1', want: [...base,
      'nat OUTPUT -d 192.168.5.7/32 -m addrtype --dst-type LOCAL -j KJ-abcdef-NODEPORTS',
      'nat PREROUTING -d 192.168.5.7/32 -m addrtype --dst-type LOCAL -j KJ-abcdef-NODEPORTS',
      'nat POSTROUTING -m conntrack --ctstate DNAT --ctorigdst 192.168.5.7/32 -j KJ-abcdef-NODEPORT-MASQ',
    ] },
  ];
  for (const c of cases) {
    const net = { serviceCIDR: '10.96.0.0/12', nodePortAddresses: c.addresses, bridge: c.bridge };
    assert.deepEqual(show(hostRules(prefix, net)), c.want, c.name);
    assert.equal(localnetBridge(net), c.localnet, c.name);
  }
  // Every rule names the service CIDR, a node-port address, or our bridge: nothing else is matched.
  for (const r of hostRules(prefix, { serviceCIDR: '10.96.0.0/12', nodePortAddresses: ['127.0.0.1', '192.168.5.7'], bridge: 'kj1' })) {
    assert.ok(['10.96.0.0/12', '127.0.0.1/32', '192.168.5.7/32', 'kj1'].some((w) => r.rule.includes(w)), r.rule.join(' '));
  }
});

test('node-port addresses: 127.0.0.1 and the InternalIPs the node reports', () => {
  assert.deepEqual(nodePortAddresses(undefined), ['127.0.0.1']);
  assert.deepEqual(nodePortAddresses([{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: 'host' }]), ['127.0.0.1']);
  assert.deepEqual(nodePortAddresses([{ type: 'InternalIP', address: '192.168.5.7' }, { type: 'ExternalIP', address: '203.0.113.9' }]), ['127.0.0.1', '192.168.5.7']);
  assert.deepEqual(nodePortAddressesOf({ serviceCIDR: '10.96.0.0/12', nodePortAddresses: ['127.0.0.1', 'x', '10.0.0.5'] }), ['10.0.0.5']);
});
