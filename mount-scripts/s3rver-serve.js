// Runs an s3rver on 127.0.0.1 for tests and benchmarks: node s3rver-serve.js KIND PORT DATA_DIR
// KIND: s3rver (@20minutes/s3rver 5.0.0, checks SigV4) or s3rver3 (s3rver 3.7.1, fast, no auth).
const path = require('path');
const [kind, port, dir] = process.argv.slice(2);
const mods = path.join(__dirname, '..', 'tests', 'node', 'node_modules');
const pkg = kind === 's3rver3' ? 's3rver' : '@20minutes/s3rver';
const S3rver = require(path.join(mods, pkg));
const server = new S3rver({
  address: '127.0.0.1',
  port: Number(port),
  directory: dir,
  silent: true,
  resetOnClose: false,
  allowMismatchedSignatures: false,
});
Promise.resolve(server.run()).then(
  () => console.log(`${kind} listening on 127.0.0.1:${port}`),
  (e) => { console.error(e); process.exit(1); });
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close().finally(() => process.exit(0)));
