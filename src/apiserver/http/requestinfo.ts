// Splits a resource URL into group, version, namespace, resource, name and subresource, the way
// Kubernetes' RequestInfoFactory does (incl. the legacy /watch/ prefix and namespaces/{name}/status).

export interface ResourceRequest {
  group: string;
  version: string;
  /** Set when the path had a namespaces/{ns}/ segment for a namespaced resource. */
  namespace?: string;
  resource: string;
  name?: string;
  subresource?: string;
  /** The path used the /watch/ prefix. */
  watchPath: boolean;
}

export type ParsedPath =
  | { kind: 'resource'; req: ResourceRequest }
  | { kind: 'groupVersion'; group: string; version: string }
  | { kind: 'group'; group: string }
  | { kind: 'root'; core: boolean }
  | { kind: 'other' };

const namespaceSubresources = new Set(['status', 'finalize']);

export function parsePath(pathname: string): ParsedPath {
  const parts = pathname.split('/').filter(Boolean);
  if (pathname.includes('%')) {
    for (let i = 0; i < parts.length; i++) parts[i] = decodeURIComponent(parts[i]);
  }
  let group: string;
  let rest: string[];
  if (parts[0] === 'api') {
    if (parts.length === 1) return { kind: 'root', core: true };
    group = '';
    rest = parts.slice(1);
  } else if (parts[0] === 'apis') {
    if (parts.length === 1) return { kind: 'root', core: false };
    if (parts.length === 2) return { kind: 'group', group: parts[1] };
    group = parts[1];
    rest = parts.slice(2);
  } else {
    return { kind: 'other' };
  }
  const version = rest[0];
  rest = rest.slice(1);
  if (rest.length === 0) return { kind: 'groupVersion', group, version };
  let watchPath = false;
  if (rest[0] === 'watch') {
    watchPath = true;
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3 && !namespaceSubresources.has(rest[2])) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  if (rest.length === 0 || rest.length > 3) return { kind: 'other' };
  return { kind: 'resource', req: { group, version, namespace, resource: rest[0], name: rest[1], subresource: rest[2], watchPath } };
}
