import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rm, writeFile, readFile } from "node:fs/promises";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { LocalStore } from "../../plugins/store/local/local-store.js";
import { davfs } from "../../plugins/transport/davfs/index.js";
import { startWebDav, type WebDav } from "../servers/webdav.js";
import { openMountedRun, type MountedRun } from "./mounted-session.js";
import { storeContract } from "./store-contract.js";

let dav: WebDav;
let run: MountedRun;
let folders = 0;
const mount = () => davfs({ url: dav.url, user: dav.user, password: { env: "CK_DAV_PASSWORD" } });

beforeAll(async () => {
  dav = await startWebDav();
  process.env.CK_DAV_PASSWORD = dav.password;
  run = await openMountedRun(mount());
});
afterAll(async () => { await dav?.stop(); });

// The parts that apply to a filesystem: no permission or server-gone case (davfs2 acknowledges
// writes from its cache; only the unmount check below can tell what reached the server).
storeContract("davfs2 mount (Apache mod_dav)", { open: async () => new LocalStore(join(run.localPath, `c-${++folders}`)) });

describe("davfs transport: the server-side check after unmount", () => {
  it("unmounts and confirms on the server that every file arrived whole", async () => {
    await run.finish();
    expect(await readFile("/proc/self/mountinfo", "utf8")).not.toContain(run.localPath);
    const onServer = await readFile(join(dav.dataDir, "c-1/snapshots/a/vol-0001.tar.gpg"));
    expect(onServer.length).toBe(3 * 1024 * 1024 + 17);
  });

  it("fails loudly, naming the file, when a file written is not on the server after unmount", async () => {
    const second = await openMountedRun(mount());
    await writeFile(join(second.localPath, "kept.bin"), randomBytes(1000));
    await writeFile(join(second.localPath, "lost.bin"), randomBytes(5000));
    // The file reached the server (delay_upload 0) and is then lost there: what the check must see.
    for (let i = 0; i < 50; i++) {
      if (await rm(join(dav.dataDir, "lost.bin")).then(() => true, () => false)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const error = await second.finish().then(() => undefined, (e: unknown) => e);
    expect(String((error as Error)?.message ?? error)).toMatch(/does not hold every file written: lost\.bin: missing on the server/);
    expect(await readFile("/proc/self/mountinfo", "utf8")).not.toContain(second.localPath);
  });
});
