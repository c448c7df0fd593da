#!/usr/bin/env node
// The CLI is bundled (scripts/build.js): with --debug, stack traces point into the sources.
if (process.argv.includes("--debug")) process.setSourceMapsEnabled(true);
const { main } = await import("../dist/core/cli/main.js");

process.exitCode = await main(process.argv);
