import { describe, expect, it } from "vitest";
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CryptkeepError } from "../../core/errors.js";
import { checkRestored } from "../../plugins/sync/tar-incremental/restore-check.js";
import type { ManifestFile } from "../../plugins/sync/tar-incremental/index/index.js";
import { scratchDir } from "../helpers/cli.js";

const entry = (path: string, type: ManifestFile["type"], size = 0): ManifestFile => ({ path, type, size, mode: 0o644, mtime: 0, inArchive: true });

describe("checkRestored: the safety net of a --path restore", () => {
  const expected = [entry("b", "dir"), entry("b/x.txt", "file", 3), entry("b/link", "symlink")];

  it("accepts a folder that holds everything the snapshot has under the path", async () => {
    const to = await scratchDir("cryptkeep-test-");
    await mkdir(join(to, "b"));
    await writeFile(join(to, "b/x.txt"), "abc");
    await symlink("x.txt", join(to, "b/link"));
    await expect(checkRestored(to, expected, "S")).resolves.toBeUndefined();
  });

  it("names every entry missing, of another type or of another size, with RESTORE_INCOMPLETE", async () => {
    const to = await scratchDir("cryptkeep-test-");
    await mkdir(join(to, "b"));
    await writeFile(join(to, "b/x.txt"), "abcd");
    await writeFile(join(to, "b/link"), "");
    const error = await checkRestored(to, [...expected, entry("b/gone.txt", "file", 1)], "S").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CryptkeepError);
    expect((error as CryptkeepError).code).toBe("RESTORE_INCOMPLETE");
    expect((error as CryptkeepError).message).toBe(
      `restore of snapshot S into ${to} is incomplete: 3 entries of the snapshot missing or different: b/x.txt (4 bytes, the snapshot has 3), b/link (not a symlink), b/gone.txt (missing)`);
    expect((error as CryptkeepError).exitCode).not.toBe(0);
  });
});
