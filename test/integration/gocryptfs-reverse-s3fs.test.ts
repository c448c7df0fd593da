import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { startCephRgw } from "../servers/ceph-rgw.js";
import { gocryptfsMountedStory } from "./gocryptfs-mounted-story.js";

gocryptfsMountedStory("s3fs", "s3fs (Ceph radosgw)", async () => {
  const rgw = await startCephRgw();
  const prefix = "laptop/documents";
  return {
    target: `{ s3fs: { bucket: ${JSON.stringify(rgw.bucket)}, prefix: "${prefix}", endpoint: ${JSON.stringify(rgw.endpoint)}, forcePathStyle: true, accessKeyId: { env: "CK_S3_KEY" }, secretAccessKey: { env: "CK_S3_SECRET" } } }`,
    env: { CK_S3_KEY: rgw.accessKeyId, CK_S3_SECRET: rgw.secretAccessKey },
    keeps: { modes: true, times: true },
    filesOnServer: async () => {
      const names: string[] = [];
      let token: string | undefined;
      do {
        const page = await rgw.client().send(new ListObjectsV2Command({ Bucket: rgw.bucket, Prefix: `${prefix}/`, ContinuationToken: token }));
        names.push(...(page.Contents ?? []).map((o) => o.Key!.slice(prefix.length + 1)).filter((n) => n && !n.endsWith("/")));
        token = page.NextContinuationToken;
      } while (token);
      return names.sort();
    },
    stop: () => rgw.stop(),
  };
});
