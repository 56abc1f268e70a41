// core/v1 endpoints and discovery.k8s.io/v1 endpointslices: what the endpoints and endpointslice
// controllers write (and users may write for selector-less Services). Basic validation in
// Kubernetes' words, and the `kubectl get ep` / `kubectl get endpointslices` columns.
import { isIP, isIPv4, isIPv6 } from 'node:net';
import type { FieldCause } from '../../api/errors.js';
import type { KubeObject, core, discovery } from '../../api/types.js';
import { isDNS1123Label, isDNS1123Subdomain, isValidPortNum, nameIsDNSSubdomain } from '../../api/names.js';
import type { ResourceDefinition } from './types.js';
import { age, ageColumn, allVerbs, col, fe, nameColumn, validateObjectMeta, validateObjectMetaUpdate } from './common.js';

type Endpoints = core.Endpoints;
type EndpointSlice = discovery.EndpointSlice;

const metaRules = { namespaced: true, nameValidator: nameIsDNSSubdomain };
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
/** kubectl shows at most this many addresses, then "+ N more...". */
const SHOWN = 3;

export const ENDPOINTSLICE_MAX_ENDPOINTS = 1000;
export const ENDPOINTSLICE_MAX_PORTS = 100;
const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'];

function validateIP(path: string, ip: string | undefined): FieldCause[] {
  if (!ip) return [fe.required(path)];
  return isIP(ip) === 0 ? [fe.invalid(path, ip, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)')] : [];
}

function validatePortFields(path: string, p: { name?: string; port?: number; protocol?: string }, nameRequired: boolean): FieldCause[] {
  const errs: FieldCause[] = [];
  if (p.name) for (const m of isDNS1123Label(p.name)) errs.push(fe.invalid(`${path}.name`, p.name, m));
  else if (nameRequired) errs.push(fe.required(`${path}.name`));
  for (const m of isValidPortNum(p.port ?? 0)) errs.push(fe.invalid(`${path}.port`, p.port ?? 0, m));
  if (!p.protocol) errs.push(fe.required(`${path}.protocol`));
  else if (!PROTOCOLS.includes(p.protocol)) errs.push(fe.notSupported(`${path}.protocol`, p.protocol, PROTOCOLS));
  return errs;
}

function validateEndpoints(ep: Endpoints): FieldCause[] {
  const errs: FieldCause[] = [];
  (ep.subsets ?? []).forEach((ss, i) => {
    const path = `subsets[${i}]`;
    if (!ss.addresses?.length && !ss.notReadyAddresses?.length) errs.push(fe.required(path, 'must specify `addresses` or `notReadyAddresses`'));
    for (const [list, name] of [[ss.addresses, 'addresses'], [ss.notReadyAddresses, 'notReadyAddresses']] as const) {
      (list ?? []).forEach((a, j) => {
        errs.push(...validateIP(`${path}.${name}[${j}].ip`, a.ip));
        if (a.hostname) for (const m of isDNS1123Label(a.hostname)) errs.push(fe.invalid(`${path}.${name}[${j}].hostname`, a.hostname, m));
        if (a.nodeName) for (const m of isDNS1123Subdomain(a.nodeName)) errs.push(fe.invalid(`${path}.${name}[${j}].nodeName`, a.nodeName, m));
      });
    }
    const ports = ss.ports ?? [];
    ports.forEach((p, j) => errs.push(...validatePortFields(`${path}.ports[${j}]`, p, ports.length > 1)));
  });
  return errs;
}

function validateEndpointSlice(slice: EndpointSlice): FieldCause[] {
  const errs: FieldCause[] = [];
  const type = slice.addressType;
  if (!type) errs.push(fe.required('addressType'));
  else if (!ADDRESS_TYPES.includes(type)) errs.push(fe.notSupported('addressType', type, ADDRESS_TYPES));
  const endpoints = slice.endpoints ?? [];
  if (endpoints.length > ENDPOINTSLICE_MAX_ENDPOINTS) errs.push(fe.tooMany('endpoints', endpoints.length, ENDPOINTSLICE_MAX_ENDPOINTS));
  endpoints.forEach((e, i) => {
    const path = `endpoints[${i}]`;
    const addrs = e.addresses ?? [];
    if (addrs.length === 0) errs.push(fe.required(`${path}.addresses`, 'must contain at least 1 address'));
    else if (addrs.length > 100) errs.push(fe.tooMany(`${path}.addresses`, addrs.length, 100));
    addrs.forEach((a, j) => {
      const p = `${path}.addresses[${j}]`;
      if (type === 'IPv4' && !isIPv4(a)) errs.push(fe.invalid(p, a, 'must be a valid IPv4 address'));
      else if (type === 'IPv6' && !isIPv6(a)) errs.push(fe.invalid(p, a, 'must be a valid IPv6 address'));
      else if (type === 'FQDN') for (const m of isDNS1123Subdomain(a)) errs.push(fe.invalid(p, a, m));
    });
    if (e.nodeName) for (const m of isDNS1123Subdomain(e.nodeName)) errs.push(fe.invalid(`${path}.nodeName`, e.nodeName, m));
    if (e.hostname) for (const m of isDNS1123Label(e.hostname)) errs.push(fe.invalid(`${path}.hostname`, e.hostname, m));
  });
  const ports = slice.ports ?? [];
  if (ports.length > ENDPOINTSLICE_MAX_PORTS) errs.push(fe.tooMany('ports', ports.length, ENDPOINTSLICE_MAX_PORTS));
  const names = new Set<string>();
  ports.forEach((p, i) => {
    const path = `ports[${i}]`;
    const name = p.name ?? '';
    if (name) for (const m of isDNS1123Label(name)) errs.push(fe.invalid(`${path}.name`, name, m));
    if (names.has(name)) errs.push(fe.duplicate(`${path}.name`, name));
    names.add(name);
    if (p.port !== undefined && p.port !== null) for (const m of isValidPortNum(p.port)) errs.push(fe.invalid(`${path}.port`, p.port, m));
    if (p.protocol && !PROTOCOLS.includes(p.protocol)) errs.push(fe.notSupported(`${path}.protocol`, p.protocol, PROTOCOLS));
  });
  return errs;
}

/** The ENDPOINTS column of `kubectl get ep`: ip:port for each ready address and port, at most three. */
export function formatEndpoints(ep: Endpoints): string {
  const subsets = ep.subsets ?? [];
  if (subsets.length === 0) return '<none>';
  const shown: string[] = [];
  let total = 0;
  for (const ss of subsets) {
    const addrs = ss.addresses ?? [];
    const targets = ss.ports?.length ? ss.ports.map((p) => (a: string) => (a.includes(':') ? `[${a}]:${p.port}` : `${a}:${p.port}`)) : [(a: string) => a];
    for (const render of targets) {
      total += addrs.length;
      for (const a of addrs) if (shown.length < SHOWN) shown.push(render(a.ip));
    }
  }
  const text = shown.join(',');
  return total > SHOWN ? `${text} + ${total - SHOWN} more...` : text;
}

function listWithMore(items: string[]): string {
  const text = items.slice(0, SHOWN).join(',');
  if (items.length > SHOWN) return `${text} + ${items.length - SHOWN} more...`;
  return text || '<unset>';
}

export function formatSlicePorts(slice: EndpointSlice): string {
  return listWithMore((slice.ports ?? []).map((p) => (p.port !== undefined && p.port !== null ? String(p.port) : p.name ? p.name : '*')));
}

export function formatSliceEndpoints(slice: EndpointSlice): string {
  return listWithMore((slice.endpoints ?? []).flatMap((e) => e.addresses ?? []));
}

/** EndpointSlice declares addressType and endpoints required; a stored object may lack them. */
function sliceOf(obj: KubeObject): EndpointSlice {
  return obj as unknown as EndpointSlice;
}

export function endpoints(): ResourceDefinition {
  return {
    group: '',
    version: 'v1',
    resource: 'endpoints',
    singular: 'endpoints',
    kind: 'Endpoints',
    listKind: 'EndpointsList',
    namespaced: true,
    shortNames: ['ep'],
    categories: [],
    verbs: allVerbs,
    subresources: {},
    applyDefaults(obj) {
      for (const ss of (obj as Endpoints).subsets ?? []) for (const p of ss.ports ?? []) p.protocol ??= 'TCP';
    },
    validateCreate: (obj) => [...validateObjectMeta(obj.metadata, metaRules), ...validateEndpoints(obj as Endpoints)],
    validateUpdate: (obj, old) => [...validateObjectMetaUpdate(obj.metadata, old.metadata, metaRules), ...validateEndpoints(obj as Endpoints)],
    prepareForCreate() {},
    prepareForUpdate() {},
    tableColumns: [nameColumn, col('Endpoints', 'string', 'Endpoints is the list of endpoints (ip:port) this object holds.'), ageColumn],
    tableRow: (obj: KubeObject, ctx) => [obj.metadata?.name ?? '', formatEndpoints(obj as Endpoints), age(obj, ctx)],
    fieldSelectors: {},
  };
}

export function endpointSlices(): ResourceDefinition {
  return {
    group: 'discovery.k8s.io',
    version: 'v1',
    resource: 'endpointslices',
    singular: 'endpointslice',
    kind: 'EndpointSlice',
    listKind: 'EndpointSliceList',
    namespaced: true,
    shortNames: [],
    categories: [],
    verbs: allVerbs,
    subresources: {},
    applyDefaults(obj) {
      for (const p of sliceOf(obj).ports ?? []) {
        p.name ??= '';
        p.protocol ??= 'TCP';
      }
    },
    validateCreate: (obj) => [...validateObjectMeta(obj.metadata, metaRules), ...validateEndpointSlice(sliceOf(obj))],
    validateUpdate(obj, old) {
      const errs = [...validateObjectMetaUpdate(obj.metadata, old.metadata, metaRules), ...validateEndpointSlice(sliceOf(obj))];
      const was = sliceOf(old).addressType;
      if (sliceOf(obj).addressType !== was) errs.push(fe.immutable('addressType', sliceOf(obj).addressType ?? ''));
      return errs;
    },
    prepareForCreate() {},
    prepareForUpdate() {},
    tableColumns: [
      nameColumn,
      col('AddressType', 'string', 'addressType specifies the type of address carried by this EndpointSlice.'),
      col('Ports', 'string', 'ports specifies the list of network ports exposed by each endpoint in this slice.'),
      col('Endpoints', 'string', 'endpoints is a list of unique endpoints in this slice.'),
      ageColumn,
    ],
    tableRow: (obj: KubeObject, ctx) => {
      const slice = sliceOf(obj);
      return [obj.metadata?.name ?? '', slice.addressType ?? '', formatSlicePorts(slice), formatSliceEndpoints(slice), age(obj, ctx)];
    },
    fieldSelectors: {},
  };
}
