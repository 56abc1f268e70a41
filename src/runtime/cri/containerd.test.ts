import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cniConfig, podRoutes } from './containerd.js';

test('pod routes: own subnet and the service CIDR; a default route only when masquerading', () => {
  const cases: Array<[string, boolean, string | undefined, string[]]> = [
    ['no service CIDR known', false, undefined, ['10.3.4.0/24']],
    ['service CIDR', false, '10.96.0.0/12', ['10.3.4.0/24', '10.96.0.0/12']],
    ['an invalid service CIDR is left out', false, 'nonsense', ['10.3.4.0/24']],
    ['masquerading: the default route covers it', true, '10.96.0.0/12', ['0.0.0.0/0']],
  ];
  for (const [name, ipMasq, cidr, want] of cases) assert.deepEqual(podRoutes({ subnet: '10.3.4.0/24', ipMasq }, cidr).map((r) => r.dst), want, name);
});

test('the CNI config carries the routes, hairpin mode and no default gateway without masquerading', () => {
  const conf = JSON.parse(cniConfig({ subnet: '10.3.4.0/24', bridge: 'kjtest', ipMasq: false, ipForwardBefore: '1' }, '/tmp/ipam', '10.96.0.0/12')) as {
    plugins: Array<{ type: string; hairpinMode?: boolean; isDefaultGateway?: boolean; ipam?: { routes: Array<{ dst: string }> } }>;
  };
  const bridge = conf.plugins.find((p) => p.type === 'bridge')!;
  assert.equal(bridge.hairpinMode, true);
  assert.equal(bridge.isDefaultGateway, false);
  assert.deepEqual(bridge.ipam!.routes, [{ dst: '10.3.4.0/24' }, { dst: '10.96.0.0/12' }]);
});
