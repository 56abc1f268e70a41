// Authentication: a client certificate verified against the cluster CA (CN = user, O = groups),
// else a bearer token from the token file. Anything else is anonymous and gets 401.
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { identityFromSubject } from '../certs/pki.js';
import type { TokenAuthenticator } from './tokens.js';

export interface UserInfo {
  user: string;
  groups: string[];
}

export type Authenticator = (req: IncomingMessage) => UserInfo | undefined;

export function createAuthenticator(tokens: TokenAuthenticator): Authenticator {
  // A TLS connection's certificate never changes: resolve it once per keep-alive connection.
  const bySocket = new WeakMap<TLSSocket, UserInfo | null>();
  return (req) => {
    const socket = req.socket as TLSSocket;
    let fromCert = bySocket.get(socket);
    if (fromCert === undefined) {
      fromCert = null;
      if (socket.authorized) {
        const id = identityFromSubject(socket.getPeerCertificate().subject ?? {});
        if (id) fromCert = { user: id.user, groups: [...id.groups, 'system:authenticated'] };
      }
      bySocket.set(socket, fromCert);
    }
    if (fromCert) return fromCert;
    const header = req.headers.authorization;
    if (header && header.startsWith('Bearer ')) {
      const entry = tokens.authenticate(header.slice(7).trim());
      if (entry) return { user: entry.user, groups: [...entry.groups, 'system:authenticated'] };
    }
    return undefined;
  };
}
