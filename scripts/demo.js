#!/usr/bin/env node
// The embedded default, end to end: a key pair, a sample folder, a local vault (no server, no root),
// a full backup, a change, an incremental, a restore that is compared with the source, a verify,
// and the recipe that restores without cryptkeep. Run with `npm run demo`.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, mkdtempSync, writeFileSync, appendFileSync, rmSync, readdirSync, readFileSync, lstatSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const bin = join(root, "bin/cryptkeep.js");
const dir = mkdtempSync(join(tmpdir(), "cryptkeep-demo-"));
// The demo's passphrase lives only in this process's environment, never on disk or in argv.
const env = { ...process.env, XDG_CACHE_HOME: join(dir, ".cache"), DEMO_PASSPHRASE: randomBytes(18).toString("base64") };

function run(...args) {
  console.log(`\n$ cryptkeep ${args.join(" ")}`);
  execFileSync(process.execPath, [bin, ...args], { cwd: dir, env, stdio: "inherit" });
}

console.log(`demo folder: ${dir}`);
cpSync(join(root, "docs"), join(dir, "Documents/docs"), { recursive: true });
cpSync(join(root, "core"), join(dir, "Documents/code"), { recursive: true });
writeFileSync(join(dir, "Documents/notes.txt"), "first version\n");
writeFileSync(join(dir, "Documents/scratch.tmp"), "excluded by the config\n");
writeFileSync(join(dir, "backup.config.ts"), `import { defineConfig } from "cryptkeep";
import { gpgIncremental } from "cryptkeep/presets";

export default defineConfig({
  jobs: {
    documents: gpgIncremental({
      source: "./Documents",
      target: { local: "./vault" },
      recipients: ["./keys/backup.pub.asc"],
      identity: { key: { file: "./keys/backup.sec.asc" }, passphrase: { env: "DEMO_PASSPHRASE" } },
      fullEvery: "30D",
      compression: "zstd",
      exclude: ["*.tmp", "node_modules/"],
      retention: { keepLast: 3, keepDaily: 7, keepWeekly: 4, keepMonthly: 12 },
    }),
  },
});
`);

run("keygen", "--out", "./keys/backup", "--passphrase-env", "DEMO_PASSPHRASE");
run("init", "documents");
run("plan", "documents");
run("backup", "documents");
appendFileSync(join(dir, "Documents/notes.txt"), "second version\n");
writeFileSync(join(dir, "Documents/new.txt"), "added after the full backup\n");
rmSync(join(dir, "Documents/code/format.ts"));
run("backup", "documents");
run("snapshots", "documents");
run("restore", "documents", "--to", "./restored");
run("verify", "documents", "--compare");
run("recipe", "documents");

const expected = listing(join(dir, "Documents")).filter((p) => !p.endsWith(".tmp"));
const restored = listing(join(dir, "restored"));
const same = JSON.stringify(expected) === JSON.stringify(restored) &&
  expected.every((p) => lstatSync(join(dir, "Documents", p)).isDirectory() || readFileSync(join(dir, "Documents", p)).equals(readFileSync(join(dir, "restored", p))));
console.log(`\nrestored tree ${same ? "is identical to" : "DIFFERS from"} the source (${restored.length} entries)`);
console.log(`everything is in ${dir}; remove it with: rm -rf ${dir}`);
process.exitCode = same ? 0 : 1;

function listing(base, rel = "") {
  return readdirSync(join(base, rel)).sort().flatMap((name) => {
    const path = rel ? `${rel}/${name}` : name;
    return lstatSync(join(base, path)).isDirectory() ? [path, ...listing(base, path)] : [path];
  });
}
