// The demo image's request handler, run on the host with busybox (as it runs in the image): routes,
// status codes, CRLF headers and one log line per request.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { archiveImageNames, buildDockerArchive, buildOciArchive, buildOciImage, demoImage } from './images.js';

const script = fileURLToPath(new URL('../../../../src/runtime/cri/demo/kujira-demo-request.sh', import.meta.url));
let dir = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kujira-demo-test-'));
  await mkdir(join(dir, 'bin'));
  const list = await new Promise<string>((resolve, reject) => execFile('/bin/busybox', ['--list'], (err, out) => (err ? reject(err) : resolve(out))));
  for (const applet of list.split('\n').filter(Boolean)) await symlink('/bin/busybox', join(dir, 'bin', applet));
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Answer { status: number; headers: string; body: string; log: string }

function request(target: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const child = execFile('/bin/busybox', ['sh', script], {
      env: { PATH: join(dir, 'bin'), KUJIRA_DEMO_STATE: join(dir, 'state'), GREETING: 'hello' }, timeout: 10_000,
    }, (err, stdout, stderr) => {
      if (err) return reject(err);
      const [head = '', body = ''] = stdout.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1]), headers: head, body, log: stderr });
    });
    child.stdin!.end(`GET ${target} HTTP/1.1\r\nHost: pod\r\nUser-Agent: kube-probe/1.32\r\n\r\n`);
  });
}

test('/ shows hostname and environment; every answer has CRLF headers, a length and a log line', async () => {
  const r = await request('/');
  assert.equal(r.status, 200);
  assert.match(r.body, /^kujira-demo\nhostname: \S+\npod IP: /);
  assert.match(r.body, /^ {2}GREETING=hello$/m);
  assert.match(r.headers, /\r\nContent-Length: \d+$/m);
  assert.equal(Number(/Content-Length: (\d+)/.exec(r.headers)?.[1]), Buffer.byteLength(r.body));
  assert.equal(r.log, 'kujira-demo: GET / 200\n');
});

test('/healthy and /ready answer 200 until /fail/... is requested, then 500', async () => {
  for (const name of ['healthy', 'ready']) {
    assert.equal((await request(`/${name}`)).status, 200);
    assert.equal((await request(`/fail/${name}`)).status, 200);
    const after = await request(`/${name}`);
    assert.equal(after.status, 500);
    assert.equal(after.log, `kujira-demo: GET /${name} 500\n`);
  }
});

test('/write writes a file (URL-decoded path and text) that /fs lists; bad parameters get 400, unknown paths 404', async () => {
  const file = join(dir, 'a file.txt');
  const w = await request(`/write?path=${encodeURIComponent(file)}&text=hello+world%21`);
  assert.equal(w.status, 200, w.body);
  assert.equal(await readFile(file, 'utf8'), 'hello world!\n');
  const fs = await request(`/fs?path=${encodeURIComponent(dir)}`);
  assert.match(fs.body, /a file\.txt/);
  assert.equal((await request('/fs?path=/no/such/dir')).status, 404);
  assert.equal((await request('/cpu?seconds=abc')).status, 400);
  assert.equal((await request('/alloc')).status, 400);
  assert.equal((await request('/nope')).status, 404);
});

test('/cpu answers at once and leaves its work running in the background', async () => {
  const cpu = await request('/cpu?seconds=1');
  assert.equal(cpu.status, 200);
  assert.equal(cpu.body, 'burning one core for 1s\n');
});

test('the demo image archives (OCI layout and docker save) name the image', async () => {
  const image = buildOciImage(await demoImage());
  assert.deepEqual(archiveImageNames(buildOciArchive(image)), ['localhost/kujira-demo:1', '127.0.0.1:5000/kujira/demo:1']);
  assert.deepEqual(archiveImageNames(buildDockerArchive(image)), ['localhost/kujira-demo:1', '127.0.0.1:5000/kujira/demo:1']);
  assert.throws(() => archiveImageNames(Buffer.from('this is not a tar archive\n'.repeat(40)), 'notes.txt'), /notes\.txt is not an image archive/);
});
