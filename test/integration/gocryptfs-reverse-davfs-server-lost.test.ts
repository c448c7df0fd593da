import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "vitest";
import { startWebDav } from "../servers/webdav.js";
import { serverLostStory } from "./gocryptfs-server-lost-story.js";

serverLostStory("davfs", "davfs (Apache mod_dav)", /the connection to WebDAV http:\/\/127\.0\.0\.1:\d+\/dav\/ \(davfs2\) was lost/, async () => {
  const dav = await startWebDav();
  return {
    target: `{ davfs: { url: ${JSON.stringify(dav.url)}, user: ${JSON.stringify(dav.user)}, password: { env: "CK_DAV_PASSWORD" } } }`,
    planShowsTimeouts: /mount http:\S+ with davfs2 under \S+, giving up on the server after 10 s to connect or 20 s without an answer/,
    // 10 s to connect or 20 s without an answer for the request in flight, then the unmount.
    giveUpWithinMs: 45_000,
    env: { CK_DAV_PASSWORD: dav.password },
    bytesOnServer: async () => {
      const files = join(dav.dataDir, "files");
      const entries = await readdir(files, { recursive: true, withFileTypes: true }).catch(() => []);
      const sizes = await Promise.all(entries.filter((d) => d.isFile()).map((d) => stat(join(d.parentPath, d.name)).then((s) => s.size, () => 0)));
      return sizes.reduce((a, b) => a + b, 0);
    },
    kill: () => dav.kill(),
    restart: () => dav.restart(),
    leaveLockedFile: async () => {
      const lockinfo = `<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>`;
      const response = await fetch(new URL(".cryptkeep-temp/.0-changed.txt.Xq3ZkP", dav.url), {
        method: "LOCK", body: lockinfo,
        headers: { Authorization: `Basic ${Buffer.from(`${dav.user}:${dav.password}`).toString("base64")}`, "Content-Type": "application/xml", Timeout: "Second-3600" },
      });
      expect(response.status, await response.text()).toBeLessThan(300);
      return /--temp-dir=\S+\/\.cryptkeep-temp /;
    },
    stop: () => dav.stop(),
  };
});
