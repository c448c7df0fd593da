import { describe, expect, it } from "vitest";
import { execa } from "execa";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { scratchDir } from "../helpers/cli.js";
import { makeExcluder } from "../../plugins/sync/tar-incremental/exclude-match.js";
import { createArgs } from "../../plugins/sync/tar-incremental/tar-args.js";
import { tarIncrementalOptions } from "../../plugins/sync/tar-incremental/options.js";

const names = [
  "a.tmp", "keep.txt", "dir/b.tmp", "dir/keep.md", "node_modules/x.js", "app/node_modules/y/z.js", "app/src/main.ts",
  "cache/one", "deep/cache/two", "notcache/three", "logs/2026.log", "logs/keep/2026.log", "Thumbs.db", "q?x", "photos/raw/IMG_1.CR2", "top-only/x", "sub/top-only/y",
];
const patterns = ["*.tmp", "node_modules/", "cache", "logs/*.log", "Thumbs.db", "photos/raw", "./top-only"];

describe("exclude patterns", () => {
  it("verify's matcher excludes exactly what GNU tar excludes", async () => {
    // The snapshot file lives beside the source, inside the scratch folder removed after the test.
    const src = join(await scratchDir("cryptkeep-exclude-"), "source");
    for (const name of names) {
      await mkdir(join(src, name, ".."), { recursive: true });
      await writeFile(join(src, name), name);
    }
    const args = createArgs(tarIncrementalOptions.parse({ source: src, exclude: patterns }), src, join(src, "..", "listed.snar"));
    const listed = await execa("sh", ["-c", `tar ${args.map((a) => `'${a}'`).join(" ")} | tar --list --file=-`]);
    const byTar = listed.stdout.split("\n").map((l) => l.replace(/^\.\/?/, "").replace(/\/$/, "")).filter((l) => l && !l.endsWith("/"));
    const files = (paths: string[]) => paths.filter((p) => names.includes(p)).sort();
    const excluded = makeExcluder(patterns);
    const kept = names.filter((name) => !name.split("/").some((_, i, parts) => excluded(parts.slice(0, i + 1).join("/"))));
    expect(files(byTar)).toEqual(kept.sort());
    expect(kept).toEqual(expect.arrayContaining(["keep.txt", "dir/keep.md", "app/src/main.ts", "notcache/three", "q?x", "sub/top-only/y"]));
    expect(kept).not.toContain("top-only/x");
    expect(kept).not.toContain("logs/2026.log");
  });
});
