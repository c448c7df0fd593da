import { describe, expect, it } from "vitest";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildEngines } from "../../core/config/load.js";
import { Logger } from "../../core/log.js";
import { runSession } from "../../core/session.js";
import type { CryptkeepConfig } from "../../core/types.js";
import { luksImage } from "../../presets/luks-image.js";
import { sshfsLuks } from "../../presets/sshfs-luks.js";
import { allocateArgv, extendArgv, formatArgv, mkfsArgv, openArgv, resizeArgv } from "../../plugins/encryption/luks/argv.js";
import { luksFormatSchema, parseSize } from "../../plugins/encryption/luks/options.js";
import { mappingName, staleMappings } from "../../plugins/encryption/luks/names.js";
import { cryptsetupError } from "../../plugins/encryption/luks/cryptsetup.js";

describe("luks plugin, pure parts", () => {
  it("reads sizes in powers of 1024, as truncate does", () => {
    expect(parseSize("64M")).toBe(64 * 1024 ** 2);
    expect(parseSize("5T")).toBe(5 * 1024 ** 4);
    expect(parseSize("1.5G")).toBe(1.5 * 1024 ** 3);
    expect(parseSize("500GiB")).toBe(500 * 1024 ** 3);
    expect(parseSize("lots")).toBeUndefined();
    expect(parseSize("0M")).toBeUndefined();
  });

  it("builds luksFormat with every option, and cryptsetup's defaults when none is given; the key is always on stdin", () => {
    expect(formatArgv(luksFormatSchema.parse({}), "/d/x.img")).toEqual(["luksFormat", "--batch-mode", "--type", "luks2", "--key-file", "-", "/d/x.img"]);
    expect(formatArgv(luksFormatSchema.parse({ type: "luks1", cipher: "serpent-xts-plain64", keySize: 512, hash: "sha512", pbkdf: "pbkdf2", iterations: 1000 }), "x.img")).toEqual([
      "luksFormat", "--batch-mode", "--type", "luks1", "--cipher", "serpent-xts-plain64", "--key-size", "512", "--hash", "sha512",
      "--pbkdf", "pbkdf2", "--pbkdf-force-iterations", "1000", "--key-file", "-", "x.img",
    ]);
    expect(formatArgv(luksFormatSchema.parse({ pbkdf: "argon2id", memoryKiB: 65536, iterTimeMs: 3000 }), "x")).toEqual([
      "luksFormat", "--batch-mode", "--type", "luks2", "--pbkdf", "argon2id", "--pbkdf-memory", "65536", "--iter-time", "3000", "--key-file", "-", "x",
    ]);
    expect(luksFormatSchema.safeParse({ type: "luks1", pbkdf: "argon2id" }).success).toBe(false);
  });

  it("opens read-only or with discards, resizes with the key on stdin, makes ext4 as seed 003 does", () => {
    expect(openArgv("i", "m")).toEqual(["open", "--type", "luks", "--key-file", "-", "i", "m"]);
    expect(openArgv("i", "m", { readOnly: true })).toEqual(["open", "--type", "luks", "--readonly", "--key-file", "-", "i", "m"]);
    expect(openArgv("i", "m", { allowDiscards: true })).toEqual(["open", "--type", "luks", "--allow-discards", "--key-file", "-", "i", "m"]);
    expect(resizeArgv("m")).toEqual(["resize", "--key-file", "-", "m"]);
    expect(mkfsArgv("/dev/mapper/m", "ck-photos")).toEqual(["-q", "-m0", "-E", "lazy_itable_init=0,lazy_journal_init=0", "-L", "ck-photos", "/dev/mapper/m"]);
  });

  it("makes the file sparse, reserved or zeroed, and extends it the same way", () => {
    expect(allocateArgv("sparse", "x", 1024)).toEqual({ tool: "truncate", args: ["-s", "1024", "x"] });
    expect(allocateArgv("fallocate", "x", 1024)).toEqual({ tool: "fallocate", args: ["-l", "1024", "x"] });
    expect(allocateArgv("zero", "x", 2048).args).toEqual(["if=/dev/zero", "of=x", "bs=1M", "count=2048", "iflag=count_bytes", "conv=fsync", "status=none"]);
    expect(extendArgv("zero", "x", 1024, 4096).args).toEqual(["if=/dev/zero", "of=x", "bs=1M", "seek=1024", "count=3072", "oflag=seek_bytes", "iflag=count_bytes", "conv=notrunc,fsync", "status=none"]);
    expect(extendArgv("sparse", "x", 1024, 4096)).toEqual({ tool: "truncate", args: ["-s", "4096", "x"] });
  });

  it("names mappings cryptkeep-<job>-<pid> and finds only this job's mappings whose run is gone", () => {
    expect(mappingName("photos", 42)).toBe("cryptkeep-photos-42");
    expect(mappingName("my job/x", "view")).toBe("cryptkeep-my_job_x-view");
    const names = ["cryptkeep-photos-42", "cryptkeep-photos-43", "cryptkeep-photos-view", "cryptkeep-photos2-44", "other-photos-45", `cryptkeep-photos-${process.pid}`];
    expect(staleMappings("photos", names, (pid) => pid === 43)).toEqual(["cryptkeep-photos-42"]);
  });

  it("turns cryptsetup's failures into messages that name the fix", () => {
    const context = { image: "/d/x.img", job: "photos", keySource: "file ./k" };
    expect(cryptsetupError("open", { exitCode: 1, stderr: "Cannot initialize device-mapper. Is dm_mod kernel module loaded?\n" }, context)).toMatchObject({ code: "LUKS_NO_DEVICE_MAPPER" });
    expect(cryptsetupError("open", { exitCode: 2, stderr: "No key available with this passphrase.\n" }, context)).toMatchObject({ code: "WRONG_KEY" });
    expect(cryptsetupError("open", { exitCode: 1, stderr: "Device /d/x.img is not a valid LUKS device.\n" }, context)).toMatchObject({ code: "TARGET_NOT_INITIALIZED" });
  });
});

describe("luks presets: plan and recipe (the recording runner)", () => {
  const silent = new Logger("error", () => undefined);

  function engineFor(config: (dir: string) => CryptkeepConfig, job: string) {
    const dir = mkdtempSync(join(tmpdir(), "ck-luks-plan-"));
    mkdirSync(join(dir, "src"));
    mkdirSync(join(dir, "keys"), { mode: 0o700 });
    writeFileSync(join(dir, "keys/k"), "key", { mode: 0o600 });
    writeFileSync(join(dir, "photos.img"), "");
    return { dir, engine: buildEngines({ file: join(dir, "backup.config.ts"), config: config(dir) }).get(job)! };
  }

  it("plans a luksImage backup: open with the key on stdin, mount, rsync, then unmount and close, last first", async () => {
    const { dir, engine } = engineFor(() => ({ jobs: { photos: luksImage({ source: "./src", image: "./photos.img", size: "1G", key: { file: "./keys/k" }, snapshots: { keepLast: 3 } }) } }), "photos");
    const { plan } = await runSession(engine, { command: "backup", options: {}, log: silent, cacheRoot: join(dir, "cache"), tools: {}, lock: false, connect: true, dryRun: true }, async (ctx) => {
      await engine.hooks.beforeBackup.promise(ctx);
      await engine.hooks.backup.promise(ctx);
    });
    const mapping = `cryptkeep-photos-${process.pid}`;
    const mnt = join(dir, "cache/photos/mnt", `cryptkeep-luks-${process.pid}`);
    const commands = plan.filter((e) => e.kind === "command").map((e) => e.text).filter((c) => !c.startsWith("sh -c"));
    expect(commands[0]).toBe(`cryptsetup open --type luks --key-file - ${dir}/photos.img ${mapping} <<< (secret on stdin)`);
    expect(commands[1]).toBe(`mount /dev/mapper/${mapping} ${mnt}`);
    expect(commands[2]).toMatch(new RegExp(`^rsync .*-aH --numeric-ids --delete --delete-excluded .* ${dir}/src/ ${mnt}/src\\.\\d{8}T\\d{6}Z\\.partial/$`));
    expect(commands.slice(-2)).toEqual([`umount ${mnt}`, `cryptsetup close ${mapping}`]);
    expect(plan.map((e) => e.text).join("\n")).not.toContain("key\n");
  });

  it("plans grow: enlarge the file before opening, then resize the mapping and ext4", async () => {
    const { dir, engine } = engineFor(() => ({ jobs: { photos: luksImage({ source: "./src", image: "./photos.img", size: "1G", allocate: "fallocate", key: { file: "./keys/k" } }) } }), "photos");
    const { plan } = await runSession(engine, { command: "grow", options: { size: "8T" }, log: silent, cacheRoot: join(dir, "cache"), tools: {}, lock: false, connect: true, dryRun: true }, (ctx) => engine.hooks.grow.promise(ctx));
    const commands = plan.filter((e) => e.kind === "command").map((e) => e.text);
    const mapping = `cryptkeep-photos-${process.pid}`;
    expect(commands[0]).toBe(`fallocate -l ${8 * 1024 ** 4} ${dir}/photos.img`);
    expect(commands[1]).toContain(`cryptsetup open --type luks --key-file - ${dir}/photos.img ${mapping}`);
    expect(commands).toContain(`cryptsetup resize --key-file - ${mapping} <<< (secret on stdin)`);
    expect(commands).toContain(`resize2fs /dev/mapper/${mapping}`);
  });

  it("writes the manual recipe of an sshfsLuks job: sshfs, cryptsetup open --readonly fed the key, mount, cp, then out in reverse", async () => {
    const { engine } = engineFor(() => ({ jobs: { system: sshfsLuks({
      source: "./src", remote: { host: "backupserver", user: "backupuser", path: "/srv/backups", port: 2222 }, file: "backups-system-a.luks", size: "5T",
      key: { command: "pass show backup/luks" }, keyEncoding: "base64", snapshots: { keepDaily: 7 }, headerBackup: "./keys/system.header",
    }) } }), "system");
    const recipe = await engine.hooks.recipe.promise({ title: "t", notes: [], commands: [] }, undefined as never);
    expect(recipe.commands).toEqual([
      "OUT=\"$HOME/restored\"   # an empty folder",
      "mkdir -p ./backup ./decrypted \"$OUT\"",
      "mkdir -p ./server",
      expect.stringMatching(/^sshfs backupuser@backupserver:\/srv\/backups \.\/server -p 2222 -o BatchMode=yes /),
      "printf %s \"$(pass show backup/luks)\" | base64 -d | cryptsetup open --type luks --readonly --key-file - ./server/backups-system-a.luks cryptkeep-system-recipe",
      "mount -o ro,noload /dev/mapper/cryptkeep-system-recipe ./backup",
      "cp -a ./backup/src.<newest time>/. \"$OUT\"/",
      "umount ./backup",
      "cryptsetup close cryptkeep-system-recipe",
      "fusermount -u ./server || { sleep 2; fusermount -u ./server; }",
      "rmdir ./backup",
    ]);
    expect(recipe.notes.join("\n")).toContain("cryptsetup luksHeaderRestore ./server/backups-system-a.luks --header-backup-file");
  });

  it("refuses a generated key shown once unless the source gives base64 back", () => {
    const bad = luksImage({ source: "./s", image: "./i", size: "1G", key: { env: "K" }, generateKey: true });
    expect(bad.schema!.safeParse(bad.options).success).toBe(false);
    const good = luksImage({ source: "./s", image: "./i", size: "1G", key: { env: "K" }, keyEncoding: "base64", generateKey: true });
    expect(good.schema!.safeParse(good.options).success).toBe(true);
  });
});

describe("luks presets running unattended: options and the drill's way in", () => {
  const silent = new Logger("error", () => undefined);
  const load = (config: unknown) => () => buildEngines({ file: "/tmp/backup.config.ts", config: config as CryptkeepConfig });
  const image = { source: "./src", image: "./photos.img", size: "1G", key: { file: "./keys/k" } };
  const remote = { source: "./src", remote: { host: "backupserver", user: "backupuser", path: "/srv/backups" }, file: "system.luks", size: "5T", key: { env: "K" } };

  it("takes every, maxAge, tripwire and verify.drill on both presets, and gives the job the unattended plugin", () => {
    const engines = load({ jobs: {
      photos: luksImage({ ...image, every: "daily", maxAge: "36h", tripwire: { minFileRatio: 0.6 }, verify: { drill: { every: "1d", sample: 20 } } }),
      system: sshfsLuks({ ...remote, snapshots: { keepDaily: 7 }, verify: { drill: {} } }),
      plain: luksImage(image),
    } })();
    const photos = engines.get("photos")!;
    expect(photos.plugins).toEqual(["preset:luksImage", "encryption:luks", "sync:rsync", "unattended"]);
    expect(photos.service("unattended")).toMatchObject({ every: "daily", maxAgeMs: 36 * 3600_000, tripwire: { minFileRatio: 0.6 }, drill: { every: "1d", everyMs: 86_400_000, sample: 20 } });
    expect(engines.get("system")!.service("unattended")).toMatchObject({ tripwire: { minFileRatio: 0.5 }, drill: { every: "7D", sample: 50 } });
    expect(photos.hasService("source")).toBe(true);
    expect(engines.get("plain")!.hasService("unattended")).toBe(false);
  });

  it("refuses a misspelt drill key, a bad sample and an unknown verify key, all at once, with where they are", () => {
    let message = "";
    try {
      load({ jobs: {
        photos: luksImage({ ...image, verify: { drill: { evry: "1d" } as never } }),
        system: sshfsLuks({ ...remote, verify: { drill: { sample: 0 } }, tripwire: { minFileRatio: 2 } }),
        other: luksImage({ ...image, verify: { checksums: "off" } as never, every: "sometimes" }),
      } })();
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/at jobs\.photos\.verify\.drill: .*evry/);
    expect(message).toContain("at jobs.system.verify.drill.sample:");
    expect(message).toContain("at jobs.system.tripwire.minFileRatio:");
    expect(message).toMatch(/at jobs\.other\.verify: .*checksums/);
    expect(message).toContain("at jobs.other.every:");
  });

  it("plans the drill after a backup: the read-write mount and mapping are closed first, then opened read-only and mounted ro,noload as the recipe does; each closed once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ck-luks-drill-"));
    mkdirSync(join(dir, "src"));
    writeFileSync(join(dir, "photos.img"), "");
    const engine = buildEngines({ file: join(dir, "backup.config.ts"), config: { jobs: { photos: luksImage({ ...image, verify: { drill: { sample: 5 } } }) } } }).get("photos")!;
    const { plan } = await runSession(engine, { command: "backup", options: {}, log: silent, cacheRoot: join(dir, "cache"), tools: {}, lock: false, connect: true, dryRun: true }, async (ctx) => {
      await engine.hooks.backup.promise(ctx);
      // A plan reads nothing at the target, so the rsync drill finds no backup after the container is re-opened.
      await engine.hooks.drill.promise(ctx, { sample: 5 }).catch(() => undefined);
    });
    const mapping = `cryptkeep-photos-${process.pid}`;
    const mnt = join(dir, "cache/photos/mnt", `cryptkeep-luks-${process.pid}`);
    const commands = plan.filter((e) => e.kind === "command").map((e) => e.text).filter((c) => !c.startsWith("sh -c") && !c.startsWith("rsync"));
    expect(commands).toEqual([
      `cryptsetup open --type luks --key-file - ${dir}/photos.img ${mapping} <<< (secret on stdin)`,
      `mount /dev/mapper/${mapping} ${mnt}`,
      `umount ${mnt}`,
      `cryptsetup close ${mapping}`,
      `cryptsetup open --type luks --readonly --key-file - ${dir}/photos.img ${mapping} <<< (secret on stdin)`,
      `mount -o ro,noload /dev/mapper/${mapping} ${mnt}`,
      `umount ${mnt}`,
      `cryptsetup close ${mapping}`,
    ]);
  });
});
