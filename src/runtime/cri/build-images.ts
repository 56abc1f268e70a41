// The short-lived process that builds built-in images for ensureBuiltinImages (images.ts says why it is a
// process of its own): `node build-images.js DIR NAME...` writes one OCI archive per image into DIR and
// prints what it wrote as JSON (BuiltImageArchive[]); a failure is a message on stderr and exit code 1.
import { writeBuiltinImages } from './images.js';

const [dir, ...names] = process.argv.slice(2);
if (!dir || names.length === 0) {
  process.stderr.write('usage: build-images.js DIR IMAGE...\n');
  process.exitCode = 2;
} else {
  writeBuiltinImages(dir, names).then(
    (built) => process.stdout.write(JSON.stringify(built)),
    (err: unknown) => {
      process.stderr.write(`${(err as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
