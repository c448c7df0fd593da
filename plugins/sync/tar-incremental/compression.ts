import { createGunzip, createGzip } from "node:zlib";
import type { Readable } from "node:stream";
import type { CommandSpec } from "../../../core/runner.js";
import type { RunContext } from "../../../core/types.js";

export type Compression = "none" | "zstd" | "gzip";

export const compressionExt = (c: Compression) => (c === "zstd" ? ".zst" : c === "gzip" ? ".gz" : "");

export function compressCommand(level: number | undefined): CommandSpec {
  return { tool: "zstd", args: ["-q", "-c", `-${level ?? 3}`, "-T0", "-"] };
}

/** Compresses one volume's tar bytes; each volume is a complete zstd frame or gzip member, so they concatenate. */
export function compress(ctx: RunContext, input: Readable, compression: Compression, level?: number): Readable {
  if (compression === "none") return input;
  if (compression === "gzip") return input.pipe(createGzip({ level: level ?? 6 }));
  const zstd = ctx.stream({ ...compressCommand(level), input });
  zstd.done.catch((error: unknown) => zstd.stdout.destroy(error as Error));
  return zstd.stdout;
}

export function decompress(ctx: RunContext, input: Readable, compression: Compression): Readable {
  if (compression === "none") return input;
  if (compression === "gzip") return input.pipe(createGunzip());
  const zstd = ctx.stream({ tool: "zstd", args: ["-q", "-d", "-c", "-"], input });
  zstd.done.catch((error: unknown) => zstd.stdout.destroy(error as Error));
  return zstd.stdout;
}

export function recipeDecompress(compression: Compression): string | undefined {
  if (compression === "zstd") return "zstd -d -c";
  if (compression === "gzip") return "gzip -d -c";
  return undefined;
}
