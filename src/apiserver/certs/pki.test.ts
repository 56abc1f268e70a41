import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { ensurePki } from './pki.js';

it('creates a CA-signed ECDSA PKI once, and re-issues the serving certificate for a new address', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kujira-pki-'));
  try {
    const pki = await ensurePki(dir, ['127.0.0.1']);
    const ca = new X509Certificate(pki.ca.cert);
    const serving = new X509Certificate(pki.serving.cert);
    const admin = new X509Certificate(pki.admin.cert);
    assert.ok(ca.ca);
    assert.ok(serving.checkIssued(ca) && serving.verify(ca.publicKey));
    assert.ok(admin.checkIssued(ca) && admin.verify(ca.publicKey));
    assert.match(serving.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
    assert.match(serving.subjectAltName ?? '', /DNS:localhost/);
    assert.match(admin.subject, /O=system:masters/);
    assert.match(admin.subject, /CN=kujira-admin/);
    assert.equal(createPrivateKey(pki.admin.key).asymmetricKeyDetails?.namedCurve, 'prime256v1');

    const again = await ensurePki(dir, ['127.0.0.1']);
    assert.equal(again.serving.cert, pki.serving.cert);
    assert.equal(again.ca.cert, pki.ca.cert);

    const moved = await ensurePki(dir, ['10.1.2.3']);
    assert.notEqual(moved.serving.cert, pki.serving.cert);
    assert.equal(moved.ca.cert, pki.ca.cert);
    assert.match(new X509Certificate(moved.serving.cert).subjectAltName ?? '', /IP Address:10\.1\.2\.3/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
