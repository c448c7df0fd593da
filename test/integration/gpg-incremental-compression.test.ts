import { describe, expect, it } from "vitest";
import { appendFile, rm, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { ok, workspace } from "../helpers/cli.js";
import { tree } from "../helpers/tree.js";
import { runRecipe } from "../helpers/gpg.js";

describe.each(["none", "gzip", "zstd"] as const)("gpgIncremental with compression %s", (compression) => {
  it("restores a chain the same with cryptkeep and with the standard tools", async () => {
    const ws = await workspace({ compression, volumeSize: "100KiB" });
    await writeFile(join(ws.source, "text.txt"), "compressible line\n".repeat(20_000));
    await writeFile(join(ws.source, "random.bin"), randomBytes(150_000));
    await ok(ws, ["backup", "documents"]);
    await appendFile(join(ws.source, "text.txt"), "one more\n");
    await rm(join(ws.source, "random.bin"));
    await ok(ws, ["backup", "documents"]);

    const expected = await tree(ws.source);
    await ok(ws, ["restore", "documents", "--to", join(ws.dir, "out")]);
    expect(await tree(join(ws.dir, "out"))).toEqual(expected);
    const recipe = (await ok(ws, ["recipe", "documents"])).stdout;
    if (compression === "gzip") expect(recipe).toContain("| gzip -d -c");
    if (compression === "none") expect(recipe).not.toMatch(/zstd|gzip/);
    expect(await tree(await runRecipe(ws, recipe))).toEqual(expected);
    expect((await ok(ws, ["verify", "documents"])).stdout).toContain("0 difference(s) found");
  });
});
