#!/usr/bin/env node
// Writes one file through cryptkeep's own store class from the build, as a backup writes a
// volume: `node bench/tools/store-put.js sftp|s3 FILE NAME`, the store's settings as JSON in
// BENCH_STORE. Timed by the bench against scp, `rsync -e ssh` and the raw AWS SDK.
import { createReadStream, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const [kind, file, name] = process.argv.slice(2);
const settings = JSON.parse(process.env.BENCH_STORE ?? "{}");
const plugins = join(dirname(fileURLToPath(import.meta.url)), "../../dist/plugins/index.js");
const { SftpStore, S3Store, s3Options } = await import(pathToFileURL(plugins).href);

let store;
const t0 = Date.now();
if (kind === "sftp") {
  store = new SftpStore({ ...settings.endpoint, connectTimeoutMs: 20_000, retry: { attempts: 1, baseDelayMs: 250 } });
  await store.connect({ privateKey: readFileSync(settings.identityFile) });
} else if (kind === "s3") {
  store = new S3Store(s3Options.parse(settings.options));
  store.connect(settings.credentials);
} else {
  console.error(`store-put: unknown store '${kind}' (sftp or s3)`);
  process.exit(2);
}
try {
  const t1 = Date.now();
  const bytes = await store.put(name, createReadStream(file, { highWaterMark: 1 << 20 }));
  if (process.env.BENCH_DEBUG) console.error(`connect ${t1 - t0} ms, put ${Date.now() - t1} ms`);
  console.log(bytes);
} finally {
  await store.close();
}
