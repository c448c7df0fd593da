import { describe, expect, it } from "vitest";
import { buildEngines } from "../../core/config/load.js";
import { gpgIncremental } from "../../presets/gpg-incremental.js";
import { localStore } from "../../plugins/store/local/index.js";
import { gocryptfsReverse } from "../../presets/gocryptfs-reverse.js";
import { rsyncSnapshots } from "../../presets/rsync-snapshots.js";
import type { CryptkeepConfig } from "../../core/types.js";

const load = (config: unknown) => () => buildEngines({ file: "/tmp/backup.config.ts", config: config as CryptkeepConfig });
const valid = { source: "./Documents", target: { local: "./vault" }, recipients: ["./keys/backup.pub.asc"] };

describe("config validation", () => {
  it("accepts the documented example and applies the preset's plugins", () => {
    const engines = load({ jobs: { documents: gpgIncremental({ ...valid, fullEvery: "30d", exclude: ["*.tmp"], retention: { keepLast: 3, keepDaily: 7 } }) } })();
    expect(engines.get("documents")!.plugins).toEqual(["preset:gpgIncremental", "store:local", "encryption:openpgp", "sync:tar-incremental", "retention"]);
  });

  it("reports every problem at once, with its path, the value seen and what was expected", () => {
    const bad = gpgIncremental({ ...valid, retention: { keepDaily: "seven" as unknown as number }, compression: "lzma" as "zstd", retension: {} } as never);
    let message = "";
    try {
      load({ jobs: { documents: bad } })();
    } catch (error) {
      message = (error as Error).message;
      expect(error).toMatchObject({ code: "CONFIG_INVALID", exitCode: 2 });
    }
    expect(message).toContain('backup.config.ts: at jobs.documents.retention.keepDaily: expected a whole number, got "seven"');
    expect(message).toContain("at jobs.documents.compression:");
    expect(message).toContain("'lzma'".replace(/'/g, '"'));
    expect(message).toContain("at jobs.documents: unknown setting 'retension'");
    expect(message.split("\n")).toHaveLength(3);
  });

  it("names a missing required setting", () => {
    const { recipients: _drop, ...rest } = valid;
    expect(load({ jobs: { documents: gpgIncremental(rest as never) } })).toThrow(/at jobs\.documents\.recipients: missing required setting/);
  });

  it("uses array positions for composed plugins", () => {
    expect(load({ jobs: { docs: [localStore({ path: 3 as unknown as string })] } })).toThrow(/at jobs\.docs\[0\]\.path: expected a string, got 3/);
  });

  it("rejects unknown top-level settings and non-plugins", () => {
    expect(load({ jobz: {} })).toThrow(/unknown setting 'jobz'/);
    expect(load({ jobs: { docs: { source: "x" } } })).toThrow(/at jobs\.docs: not a plugin/);
  });

  it("reports a job with two stores", () => {
    expect(load({ jobs: { docs: [localStore({ path: "a" }), localStore({ path: "b" })] } })).toThrow(/both store:local and store:local provide the store/);
  });

  it("takes an sftp target as sftp://user@host[:port]/path, alone or as { url, ...keys }, and names a malformed URL", () => {
    const engines = load({ jobs: { documents: gpgIncremental({ ...valid, target: { sftp: "sftp://laptop@backup.example.org:2222/~/documents" } }) } })();
    expect(engines.get("documents")!.plugins).toContain("store:sftp");
    expect(load({ jobs: { documents: gpgIncremental({ ...valid, target: { sftp: { url: "sftp://laptop@h/upload", identityFile: "./key" } } }) } })).not.toThrow();
    expect(load({ jobs: { documents: gpgIncremental({ ...valid, target: { sftp: "sftp://backup.example.org/docs" } }) } }))
      .toThrow(/at jobs\.documents\.target\.sftp: 'sftp:\/\/backup\.example\.org\/docs' is not a usable sftp URL: it names no user/);
    expect(load({ jobs: { documents: gpgIncremental({ ...valid, target: { sftp: { url: "sftp://u@h/x", host: "h", identityFile: "k" } as never } }) } }))
      .toThrow(/give either url or host, not both/);
    expect(load({ jobs: { documents: gpgIncremental({ ...valid, target: { sftp: { host: "h", user: "u", path: "/x", port: "22" as never, agent: true } } }) } }))
      .toThrow(/at jobs\.documents\.target\.sftp\.port: expected a number, got "22"/);
  });

  it("gives gocryptfsReverse a davfs or s3fs target, and refuses them for rsyncSnapshots (no hard links)", () => {
    const password = { env: "X" };
    const dav = { davfs: { url: "https://dav.example.org/b/", user: "u", password } };
    expect(load({ jobs: { d: gocryptfsReverse({ source: "x", target: dav, password }) } })().get("d")!.plugins).toContain("transport:davfs");
    const s3 = { s3fs: { bucket: "backups", accessKeyId: password, secretAccessKey: password } };
    expect(load({ jobs: { d: gocryptfsReverse({ source: "x", target: s3, password }) } })().get("d")!.plugins).toContain("transport:s3fs");
    expect(load({ jobs: { d: gocryptfsReverse({ source: "x", target: { s3fs: { bucket: "backups" } } as never, password }) } }))
      .toThrow(/at jobs\.d\.target\.s3fs\.accessKeyId: missing required setting\n.*at jobs\.d\.target\.s3fs\.secretAccessKey: missing required setting/);
    expect(load({ jobs: { d: rsyncSnapshots({ source: "x", target: dav }) } }))
      .toThrow(/rsyncSnapshots hard-links unchanged files .* a davfs target has no hard links: use the gocryptfsReverse preset/);
  });
});
