import { describe, expect, it } from "vitest";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildEngines } from "../../core/config/load.js";
import { Logger } from "../../core/log.js";
import { runSession } from "../../core/session.js";
import { gpgIncremental } from "../../presets/gpg-incremental.js";
import type { CryptkeepConfig } from "../../core/types.js";

describe("plan (the recording runner)", () => {
  it("records the exact argv of every command a full backup would run, and runs none", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ck-plan-"));
    mkdirSync(join(dir, "src"));
    mkdirSync(join(dir, "vault"));
    writeFileSync(join(dir, "vault/cryptkeep.json"), JSON.stringify({ format: "cryptkeep-tar-incremental/1", job: "docs" }));
    const config: CryptkeepConfig = {
      jobs: { docs: gpgIncremental({ source: "./src", target: { local: "./vault" }, recipients: ["./k.pub.asc"], encryptWith: "openpgp.js", compression: "zstd", compressionLevel: 9, exclude: ["*.iso", "build/"], excludeFrom: "./ignore.txt", oneFileSystem: true, volumeSize: "64MiB" }) },
    };
    const engine = buildEngines({ file: join(dir, "backup.config.ts"), config }).get("docs")!;
    const cacheRoot = join(dir, "cache");
    const { plan } = await runSession(engine, { command: "backup", options: {}, log: new Logger("error", () => undefined), cacheRoot, tools: { tar: "/opt/gnu/bin/tar" }, lock: false, connect: true, dryRun: true }, async (ctx) => {
      await engine.hooks.beforeBackup.promise(ctx);
      await engine.hooks.backup.promise(ctx);
    });
    const commands = plan.filter((e) => e.kind === "command").map((e) => e.text);
    expect(commands).toHaveLength(2);
    expect(commands[0]).toMatch(new RegExp(
      `^/opt/gnu/bin/tar --create --file=- --format=gnu --listed-incremental=${cacheRoot}/docs/work/\\d{8}T\\d{6}\\.\\d{3}Z\\.snar --ignore-failed-read --one-file-system ` +
      `'--exclude=\\*\\.iso' --exclude=build --exclude-from=${dir}/ignore.txt --directory=${dir}/src \\.$`));
    expect(commands[1]).toBe("zstd -q -c -9 -T0 -");
    expect(plan.map((e) => e.text)).toEqual(expect.arrayContaining([
      `use local folder ${dir}/vault`,
      "full backup: the target has no complete snapshot yet",
      "split the archive into volumes of 67108864 tar bytes",
    ]));
  });
});
