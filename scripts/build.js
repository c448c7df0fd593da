#!/usr/bin/env node
// Builds dist/: type declarations by tsc, and the JavaScript as one bundle by esbuild. The CLI starts
// in about half the time from a few bundled files than from the ~650 modules node would otherwise
// resolve, read and compile at every start (measured: docs/performance.md, "Start-up").
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");

rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, "tsconfig.build.json"), "--emitDeclarationOnly"], { stdio: "inherit" });

await build({
  absWorkingDir: root,
  // The package's public entry points (package.json "exports") and the CLI; code they share goes
  // into chunks, so a config's `import "cryptkeep"` and the CLI use the same modules.
  entryPoints: ["core/index.ts", "presets/index.ts", "plugins/index.ts", "core/cli/main.ts"],
  outbase: ".",
  outdir: dist,
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  sourcemap: "linked",
  sourcesContent: false,
  // Loaded only by the jobs or commands that need them, and large: left as separate packages.
  external: ["openpgp", "@aws-sdk/*", "ssh2-sftp-client", "ssh2", "jiti", "typescript"],
  // Bundled CommonJS dependencies call require() for node's own modules.
  banner: { js: "import { createRequire as __cryptkeepRequire } from 'node:module'; const require = __cryptkeepRequire(import.meta.url);" },
  logLevel: "warning",
});
