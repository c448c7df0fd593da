import { createGunzip, createGzip } from "node:zlib";
import { pipeline, type Readable, type Transform } from "node:stream";
import { outputOnceSucceeded, type CommandSpec } from "../../../core/runner.js";
import type { RunContext } from "../../../core/types.js";

export type Compression = "none" | "zstd" | "gzip";

export const compressionExt = (c: Compression) => (c === "zstd" ? ".zst" : c === "gzip" ? ".gz" : "");

export function compressCommand(level: number | undefined): CommandSpec {
  return { tool: "zstd", args: ["-q", "-c", `-${level ?? 3}`, "-T0", "-"] };
}

/** Compresses one volume's tar bytes; each volume is a complete zstd frame or gzip member, so they concatenate. */
export function compress(ctx: RunContext, input: Readable, compression: Compression, level?: number): Readable {
  if (compression === "none") return input;
  if (compression === "gzip") return through(input, createGzip({ level: level ?? 6 }));
  return throughZstd(ctx, input, compressCommand(level));
}

export function decompress(ctx: RunContext, input: Readable, compression: Compression): Readable {
  if (compression === "none") return input;
  if (compression === "gzip") return through(input, createGunzip());
  return throughZstd(ctx, input, DECOMPRESS_ZSTD);
}

export const DECOMPRESS_ZSTD: CommandSpec = { tool: "zstd", args: ["-q", "-d", "-c", "-"] };

/** An error of the input (a failed decryption, say) must reach whoever reads the output. */
function through(input: Readable, transform: Transform): Readable {
  pipeline(input, transform, () => undefined);
  return transform;
}

function throughZstd(ctx: RunContext, input: Readable, command: CommandSpec): Readable {
  return outputOnceSucceeded(ctx.stream({ ...command, input }), input);
}

export function recipeDecompress(compression: Compression): string | undefined {
  if (compression === "zstd") return "zstd -d -c";
  if (compression === "gzip") return "gzip -d -c";
  return undefined;
}
