// Placeholder composition root; replaced by the `kujira` CLI.
console.log('kujira: not implemented yet');
