// The floor under any Node.js HTTPS API server on this machine: a server that does nothing but
// read a request's body and answer 201 with a small fixed JSON body, over the same TLS setup as
// kujira's (the cluster's serving certificate, keep-alive). bench/api drives it with the same
// client and bodies as the pod creates, so its rate bounds what the API server could reach here.
//
//   node dist/bench/https-floor-server.js CERT_FILE KEY_FILE   (prints the port, then serves until killed)
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';

const [certFile, keyFile] = process.argv.slice(2);
const answer = JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'floor', namespace: 'bench', resourceVersion: '1' } });
const server = createServer({ cert: readFileSync(certFile!), key: readFileSync(keyFile!) }, (req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    res.writeHead(201, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(answer) });
    res.end(answer);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`${typeof addr === 'object' && addr ? addr.port : 0}\n`);
});
