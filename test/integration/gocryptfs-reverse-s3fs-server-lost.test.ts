import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { startCephRgw } from "../servers/ceph-rgw.js";
import { serverLostStory } from "./gocryptfs-server-lost-story.js";

serverLostStory("s3fs", "s3fs (Ceph radosgw)", /the connection to s3:\/\/backups\/laptop at http:\/\/127\.0\.0\.1:\d+ \(s3fs\) was lost/, async () => {
  const rgw = await startCephRgw();
  const prefix = "laptop";
  return {
    target: `{ s3fs: { bucket: ${JSON.stringify(rgw.bucket)}, prefix: "${prefix}", endpoint: ${JSON.stringify(rgw.endpoint)}, forcePathStyle: true, connectTimeoutSeconds: 5, accessKeyId: { env: "CK_S3_KEY" }, secretAccessKey: { env: "CK_S3_SECRET" } } }`,
    // The user's connectTimeoutSeconds, and the defaults of the others.
    planShowsTimeouts: /with s3fs under the cache dir, giving up on the server after 5 s to connect or 20 s without progress, 2 attempts per request/,
    // The request in flight when the server died may wait out both attempts (5 s to connect or 20 s
    // without progress, about 4 s apart); then the run unmounts.
    giveUpWithinMs: 2 * (5 + 20 + 4) * 1000 + 10_000,
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
