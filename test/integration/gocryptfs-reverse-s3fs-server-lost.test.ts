import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { startCephRgw } from "../servers/ceph-rgw.js";
import { serverLostStory } from "./gocryptfs-server-lost-story.js";

serverLostStory("s3fs", "s3fs (Ceph radosgw)", /the connection to s3:\/\/backups\/laptop at http:\/\/127\.0\.0\.1:\d+ \(s3fs\) was lost/, async () => {
  const rgw = await startCephRgw();
  const prefix = "laptop";
  return {
    target: `{ s3fs: { bucket: ${JSON.stringify(rgw.bucket)}, prefix: "${prefix}", endpoint: ${JSON.stringify(rgw.endpoint)}, forcePathStyle: true, connectTimeoutSeconds: 5, accessKeyId: { env: "CK_S3_KEY" }, secretAccessKey: { env: "CK_S3_SECRET" } } }`,
    // The user's connectTimeoutSeconds, the defaults of the others, and the watch on the server.
    planShowsTimeouts: /with s3fs under the cache dir, giving up on the server after 5 s to connect or 20 s without progress, 2 attempts per request; while mounted, check every 2 s that 127\.0\.0\.1:\d+ accepts connections, and after 3 failed checks in a row \(at most 21 s\) stop s3fs so the run fails at once/,
    // The watch stops s3fs at most 21 s after the server is gone (3 checks, each 2 s after the
    // last and up to 5 s long); every request in flight then fails at once, and the run unmounts.
    giveUpWithinMs: 21_000 + 10_000,
    env: { CK_S3_KEY: rgw.accessKeyId, CK_S3_SECRET: rgw.secretAccessKey },
    bytesOnServer: async () => {
      let bytes = 0;
      let token: string | undefined;
      do {
        const page = await rgw.client().send(new ListObjectsV2Command({ Bucket: rgw.bucket, Prefix: `${prefix}/files/`, ContinuationToken: token }));
        bytes += (page.Contents ?? []).reduce((sum, o) => sum + (o.Size ?? 0), 0);
        token = page.NextContinuationToken;
      } while (token);
      return bytes;
    },
    kill: () => rgw.stopGateway(),
    restart: () => rgw.startGateway(),
    stop: () => rgw.stop(),
  };
});
