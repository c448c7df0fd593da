import { afterEach, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TargetFs } from "../../plugins/sync/rsync/target-fs.js";
import type { RunContext, Target } from "../../core/types.js";

const scratch: string[] = [];
afterEach(() => scratch.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), "cryptkeep-target-fs-"));
  scratch.push(dir);
  return dir;
}

/** The parts of a run's context a local TargetFs uses: plan mode and its steps. */
function context(dryRun = false): { ctx: RunContext; steps: string[] } {
  const steps: string[] = [];
  return { ctx: { dryRun, step: (text: string) => void steps.push(text) } as unknown as RunContext, steps };
}

const local = (path: string, network = false): Target => ({ description: `test target ${path}`, localPath: path, network } as Target);

describe("TargetFs on a folder of this machine (in-process, no shell)", () => {
  it("creates folders (mode 700), lists only folders, renames, replaces a file whole and removes trees", async () => {
    const root = folder();
    const fs = new TargetFs(local(root));
    const { ctx } = context();
    expect(await fs.listDirs(ctx, "snapshots")).toEqual([]);
    expect(await fs.readText(ctx, "cryptkeep.json")).toBeUndefined();

    await fs.mkdirp(ctx, "snapshots/b.partial");
    await fs.mkdirp(ctx, "snapshots/a");
    writeFileSync(join(root, "snapshots", "not-a-folder"), "x");
    expect(statSync(join(root, "snapshots", "a")).mode & 0o777).toBe(0o700);
    expect(await fs.listDirs(ctx, "snapshots")).toEqual(["a", "b.partial"]);

    await fs.rename(ctx, "snapshots/b.partial", "snapshots/b");
    expect(await fs.listDirs(ctx, "snapshots")).toEqual(["a", "b"]);

    await fs.writeText(ctx, "cryptkeep.json", "first\n");
    await fs.writeText(ctx, "cryptkeep.json", "second\n");
    expect(await fs.readText(ctx, "cryptkeep.json")).toBe("second\n");
    expect(readdirSync(root).sort()).toEqual(["cryptkeep.json", "snapshots"]);
    expect(statSync(join(root, "cryptkeep.json")).mode & 0o777).toBe(0o600);

    await fs.removeTree(ctx, "snapshots/a");
    await fs.removeTree(ctx, "snapshots/never-there");
    expect(await fs.listDirs(ctx, "snapshots")).toEqual(["b"]);
  });

  it("under plan, records each change as a step and changes nothing", async () => {
    const root = folder();
    writeFileSync(join(root, "cryptkeep.json"), "kept\n");
    const fs = new TargetFs(local(root));
    const { ctx, steps } = context(true);
    await fs.mkdirp(ctx, "files");
    await fs.writeText(ctx, "cryptkeep.json", "changed\n");
    await fs.removeTree(ctx, "files");
    expect(existsSync(join(root, "files"))).toBe(false);
    expect(readFileSync(join(root, "cryptkeep.json"), "utf8")).toBe("kept\n");
    expect(steps).toEqual([
      `create the folder ${join(root, "files")} (mode 700) if missing`,
      `write ${join(root, "cryptkeep.json")} (beside it first, then renamed over it)`,
      `remove ${join(root, "files")} and everything in it`,
    ]);
  });

  it("names an I/O error under a mount of a server as the lost connection, elsewhere as an unreadable target", async () => {
    // Reading /proc/self/mem at offset 0 fails with EIO: an I/O error without a broken server.
    const { ctx } = context();
    await expect(new TargetFs(local("/proc/self", true)).readText(ctx, "mem")).rejects.toMatchObject({ code: "CONNECTION_LOST" });
    await expect(new TargetFs(local("/proc/self", false)).readText(ctx, "mem")).rejects.toMatchObject({ code: "TARGET_NOT_READABLE" });
  });

  it("refuses to write where a file stands in the way, naming the path", async () => {
    const root = folder();
    writeFileSync(join(root, "files"), "a file, not a folder");
    const { ctx } = context();
    await expect(new TargetFs(local(root)).mkdirp(ctx, "files/inner")).rejects.toMatchObject({
      code: "TARGET_NOT_WRITABLE", message: expect.stringContaining(join(root, "files", "inner")),
    });
  });
});
