import { z } from "zod";
import { byteSize, duration } from "../../../core/schemas.js";

export const tarIncrementalOptions = z.strictObject({
  /** Folder to back up. */
  source: z.string().min(1),
  /** A new full backup when the last one is older than this. @default "30D" */
  fullEvery: duration.default("30D"),
  /** tar exclude patterns: "*.tmp" matches any name, "node_modules/" any folder of that name. @default [] */
  exclude: z.array(z.string().min(1)).default([]),
  /** A file of exclude patterns, one per line (tar --exclude-from). */
  excludeFrom: z.string().optional(),
  /** Compression before encryption; off by default, since photos and videos are already compressed. @default "none" */
  compression: z.enum(["none", "zstd", "gzip"]).default("none"),
  /** zstd or gzip level. @default 3 for zstd, 6 for gzip */
  compressionLevel: z.int().min(1).max(19).optional(),
  /** Uncompressed tar bytes per volume: a damaged volume costs this much, not the chain. @default "256MiB" */
  volumeSize: byteSize.default(256 * 1024 * 1024),
  /** Stay on the source's filesystem (tar --one-file-system). @default false */
  oneFileSystem: z.boolean().default(false),
  /** Ignore device numbers when detecting changes, for sources on LVM/btrfs snapshots or network filesystems. @default false */
  ignoreDeviceChanges: z.boolean().default(false),
});
export type TarIncrementalOptions = z.output<typeof tarIncrementalOptions>;
