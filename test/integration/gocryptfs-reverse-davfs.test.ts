import { readdir } from "node:fs/promises";
import { startWebDav } from "../servers/webdav.js";
import { gocryptfsMountedStory } from "./gocryptfs-mounted-story.js";

gocryptfsMountedStory("davfs", "davfs (Apache mod_dav)", async () => {
  const dav = await startWebDav();
  return {
    target: `{ davfs: { url: ${JSON.stringify(dav.url)}, user: ${JSON.stringify(dav.user)}, password: { env: "CK_DAV_PASSWORD" } } }`,
    env: { CK_DAV_PASSWORD: dav.password },
    keeps: { modes: false, times: false },
    filesOnServer: async () => (await readdir(dav.dataDir, { recursive: true, withFileTypes: true }))
      .filter((d) => d.isFile()).map((d) => `${d.parentPath}/${d.name}`.slice(dav.dataDir.length + 1)).sort(),
    stop: () => dav.stop(),
  };
});
