import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, open, readdir, rename, rm, stat, statfs, access, constants } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { pipeline } from "node:stream/promises";
import { Transform, type Readable } from "node:stream";
import { messages } from "../../../core/messages.js";
import { PART_PREFIX } from "../../../core/paths.js";
import type { Store } from "../../../core/types.js";
import { isCommandError } from "../../../core/errors.js";

/** Free bytes under which a command that failed writing into this store is taken to have found the disk full. */
const NEARLY_FULL = 1 << 20;

/** A folder on a filesystem (a USB disk, a NAS mount). Objects are files; writes are atomic renames. */
export class LocalStore implements Store {
  readonly description: string;
  constructor(readonly root: string) {
    this.description = `local folder ${root}`;
  }

  async put(name: string, data: Readable, signal?: AbortSignal): Promise<number> {
    const { final, temp } = await this.#tempFor(name);
    let bytes = 0;
    const count = new Transform({
      transform(chunk: Buffer, _enc, callback) {
        bytes += chunk.length;
        callback(null, chunk);
      },
    });
    try {
      const out = createWriteStream(temp, { flags: "wx", mode: 0o600, flush: true });
      await pipeline(data, count, out, { signal });
      await rename(temp, final);
      return bytes;
    } catch (error) {
      await rm(temp, { force: true });
      throw this.#writeError(error);
    }
  }

  async putByDescriptor(name: string, write: (fd: number) => Promise<void>): Promise<number> {
    const { final, temp } = await this.#tempFor(name);
    const file = await open(temp, "wx+", 0o600).catch((error: unknown) => Promise.reject(this.#writeError(error)));
    try {
      await write(file.fd);
      await file.sync();
      const { size } = await file.stat();
      await file.close();
      await rename(temp, final);
      return size;
    } catch (error) {
      // A command that failed writing the file says "disk full" in its own words, if at all:
      // the free space left says it the same way for every command.
      const full = isCommandError(error) && ((await this.freeBytes()) ?? Infinity) < NEARLY_FULL;
      await file.close().catch(() => undefined);
      await rm(temp, { force: true });
      throw full ? messages.targetFull(this.root) : this.#writeError(error);
    }
  }

  async get(name: string): Promise<Readable> {
    const path = this.#path(name);
    await access(path, constants.R_OK);
    // 256 KiB, the size openpgp.js decrypts in: with 1 MiB reads a restore held up to 60 MB of
    // read buffers waiting for V8's external-memory limit to collect them (peak 176 vs 138 MiB).
    return createReadStream(path, { highWaterMark: 1 << 18 });
  }

  async list(prefix: string): Promise<{ name: string; size: number }[]> {
    const base = this.#path(prefix);
    const out: { name: string; size: number }[] = [];
    const walk = async (dir: string): Promise<void> => {
      const entries = await readdir(dir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT") return [];
        throw error;
      });
      for (const entry of entries) {
        const full = join(dir, entry.name);
        if (entry.isDirectory()) await walk(full);
        else if (entry.isFile() && !isScratchName(entry.name)) {
          // A file can vanish between readdir and stat (a temp file removed while listing).
          const info = await stat(full).catch((error: NodeJS.ErrnoException) => {
            if (error.code === "ENOENT") return undefined;
            throw error;
          });
          if (info) out.push({ name: relative(this.root, full).split(sep).join("/"), size: info.size });
        }
      }
    };
    await walk(base);
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  async exists(name: string): Promise<boolean> {
    return stat(this.#path(name)).then(() => true, () => false);
  }

  async delete(name: string): Promise<void> {
    await rm(this.#path(name), { force: true });
  }

  async deleteAll(prefix: string): Promise<void> {
    await rm(this.#path(prefix), { recursive: true, force: true });
  }

  async freeBytes(): Promise<number | undefined> {
    const info = await statfs(this.root).catch(() => undefined);
    return info ? info.bavail * info.bsize : undefined;
  }

  /** Throws the user error that says why backups cannot be written here. */
  async checkWritable(): Promise<void> {
    const info = await stat(this.root).catch(() => undefined);
    if (!info?.isDirectory()) throw messages.targetMissing(this.root);
    await access(this.root, constants.W_OK).catch(() => {
      throw messages.targetNotWritable(this.root, "permission denied");
    });
  }

  async checkReadable(): Promise<void> {
    const info = await stat(this.root).catch(() => undefined);
    if (!info?.isDirectory()) throw messages.targetMissing(this.root);
    await access(this.root, constants.R_OK | constants.X_OK).catch(() => {
      throw messages.targetNotReadable(this.root, "permission denied");
    });
  }

  async #tempFor(name: string): Promise<{ final: string; temp: string }> {
    const final = this.#path(name);
    await mkdir(dirname(final), { recursive: true });
    return { final, temp: join(dirname(final), `${PART_PREFIX}${process.pid}-${Date.now()}-${final.split(sep).pop()}`) };
  }

  #writeError(error: unknown): unknown {
    if ((error as NodeJS.ErrnoException).code === "ENOSPC") return messages.targetFull(this.root);
    if ((error as NodeJS.ErrnoException).code === "EACCES") return messages.targetNotWritable(this.root, "permission denied");
    return error;
  }

  #path(name: string): string {
    if (name.split("/").includes("..")) throw new Error(`refusing object name with '..': ${name}`);
    return join(this.root, name);
  }
}

/** Not objects: our own unfinished puts, and the files FUSE keeps for a file removed while still open. */
function isScratchName(name: string): boolean {
  return name.startsWith(PART_PREFIX) || name.startsWith(".fuse_hidden");
}
