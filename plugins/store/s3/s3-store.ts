import type { Readable } from "node:stream";
import type { S3Client, S3ClientConfig } from "@aws-sdk/client-s3";
import { CryptkeepError } from "../../../core/errors.js";
import { messages } from "../../../core/messages.js";
import type { Store } from "../../../core/types.js";
import { MAX_PARTS, retrying, uploadMultipart } from "./multipart.js";
import { PartBuffers, partBody, partsOf, type Part } from "./parts.js";

export interface S3Location {
  bucket: string;
  prefix: string;
  endpoint?: string;
  region: string;
  forcePathStyle: boolean;
  partSizeMiB: number;
  parallelParts: number;
  attempts: number;
}

export interface S3Credentials { accessKeyId: string; secretAccessKey: string }

const DELETES_AT_ONCE = 8;
const RETRY_BASE_DELAY_MS = 250;

const QUIET = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** The AWS SDK, loaded on first use: it takes about half a second to load, which jobs without an s3 target should not pay. */
let clientModule: Promise<typeof import("@aws-sdk/client-s3")> | undefined;
const s3 = () => (clientModule ??= import("@aws-sdk/client-s3"));

/**
 * Objects in an S3 bucket (AWS SDK v3): streamed multipart uploads, no FUSE. An object is
 * visible only once its upload completes; an interrupted upload is aborted on the server.
 */
export class S3Store implements Store {
  readonly description: string;
  #config: S3ClientConfig | undefined;
  #client: Promise<S3Client> | undefined;
  #buffers: PartBuffers | undefined;

  constructor(readonly location: S3Location) {
    const where = location.prefix ? `${location.bucket}/${location.prefix}` : location.bucket;
    this.description = `s3://${where}${location.endpoint ? ` at ${location.endpoint}` : ""}`;
  }

  /** Makes the client; `credentials` undefined uses the SDK's chain (env, profile, role). */
  connect(credentials: S3Credentials | undefined): void {
    // The SDK warns on every run under Node 20 that its 2027 releases need Node 22; docs/plugins/transport-s3.md says so once.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    const config: S3ClientConfig = {
      region: this.location.region, endpoint: this.location.endpoint, forcePathStyle: this.location.forcePathStyle,
      credentials, maxAttempts: this.location.attempts,
      // Servers other than AWS (Ceph radosgw) reject the CRC checksums the SDK adds to streamed uploads by default.
      requestChecksumCalculation: "WHEN_REQUIRED", responseChecksumValidation: "WHEN_REQUIRED",
      // The SDK warns on the console when a streamed request fails; put retries those itself and reports the error.
      logger: QUIET,
    };
    this.#config = config;
    this.#client = undefined;
  }

  close(): void {
    void this.#client?.then((client) => client.destroy(), () => undefined);
    this.#client = undefined;
    this.#config = undefined;
  }

  /**
   * Streams `data` to the object `name` in parts of `partSizeMiB` (reused buffers: memory stays
   * at (parallelParts + 1) parts): one PutObject when it fits in one part, else a multipart
   * upload of `parallelParts` parts at once. Only a completed upload becomes visible; a failed
   * or aborted one is aborted on the server too.
   */
  async put(name: string, data: Readable, signal?: AbortSignal): Promise<number> {
    const sdk = await s3();
    const client = await this.#connected();
    const key = this.#key(name);
    const retry = { attempts: this.location.attempts, baseDelayMs: RETRY_BASE_DELAY_MS };
    const buffers = (this.#buffers ??= new PartBuffers(this.location.partSizeMiB * 1024 * 1024, this.location.parallelParts + 1));
    const parts = partsOf(data, buffers);
    // An abort also while waiting for the source's next bytes: the cut source ends the upload.
    const cut = () => data.destroy(signal?.reason instanceof Error ? signal.reason : new Error("upload aborted"));
    if (signal?.aborted) cut();
    signal?.addEventListener("abort", cut, { once: true });
    try {
      const first = (await parts.next()).value as Part;
      if (first.bytes < buffers.size) {
        const put = () => client.send(new sdk.PutObjectCommand({ Bucket: this.location.bucket, Key: key, ContentLength: first.bytes, Body: partBody(first) }), { abortSignal: signal });
        await retrying(retry, put, signal);
        buffers.give(first);
        return first.bytes;
      }
      return await uploadMultipart({
        client, sdk, bucket: this.location.bucket, key, parallelParts: this.location.parallelParts, retry, buffers,
        tooManyParts: () => messages.s3TooManyParts(this.description, MAX_PARTS, this.location.partSizeMiB),
      }, first, parts, signal);
    } catch (error) {
      throw this.#explain(error, name);
    } finally {
      signal?.removeEventListener("abort", cut);
      await parts.return(undefined);
    }
  }

  async get(name: string): Promise<Readable> {
    try {
      const { GetObjectCommand } = await s3();
      const response = await (await this.#connected()).send(new GetObjectCommand({ Bucket: this.location.bucket, Key: this.#key(name) }));
      return response.Body as Readable;
    } catch (error) {
      throw this.#explain(error, name);
    }
  }

  async list(prefix: string): Promise<{ name: string; size: number }[]> {
    const out: { name: string; size: number }[] = [];
    const root = this.location.prefix ? `${this.location.prefix}/` : "";
    try {
      const { paginateListObjectsV2 } = await s3();
      for await (const page of paginateListObjectsV2({ client: await this.#connected() }, { Bucket: this.location.bucket, Prefix: this.#key(prefix) })) {
        for (const object of page.Contents ?? []) {
          if (object.Key && !object.Key.endsWith("/")) out.push({ name: object.Key.slice(root.length), size: object.Size ?? 0 });
        }
      }
    } catch (error) {
      throw this.#explain(error, prefix);
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  async exists(name: string): Promise<boolean> {
    try {
      const { HeadObjectCommand } = await s3();
      await (await this.#connected()).send(new HeadObjectCommand({ Bucket: this.location.bucket, Key: this.#key(name) }));
      return true;
    } catch (error) {
      if (status(error) === 404) return false;
      throw this.#explain(error, name);
    }
  }

  async delete(name: string): Promise<void> {
    try {
      const { DeleteObjectCommand } = await s3();
      await (await this.#connected()).send(new DeleteObjectCommand({ Bucket: this.location.bucket, Key: this.#key(name) }));
    } catch (error) {
      throw this.#explain(error, name);
    }
  }

  /** One DeleteObject per key: radosgw and others differ on the checksum DeleteObjects needs. */
  async deleteAll(prefix: string): Promise<void> {
    const names = (await this.list(prefix)).map((o) => o.name);
    while (names.length) await Promise.all(names.splice(0, DELETES_AT_ONCE).map((name) => this.delete(name)));
  }

  async freeBytes(): Promise<number | undefined> {
    return undefined;
  }

  /** Checks the bucket, the credentials and read access, without writing (a listing: HEAD answers carry no error code). */
  async check(): Promise<void> {
    try {
      const { ListObjectsV2Command } = await s3();
      await (await this.#connected()).send(new ListObjectsV2Command({ Bucket: this.location.bucket, Prefix: this.#key(""), MaxKeys: 1 }));
    } catch (error) {
      throw this.#explain(error, "");
    }
  }

  #connected(): Promise<S3Client> {
    const config = this.#config;
    if (!config) throw new Error(`${this.description}: used before the connect hook`);
    return (this.#client ??= s3().then(({ S3Client }) => new S3Client(config)));
  }

  #explain(error: unknown, name: string): unknown {
    if (error instanceof CryptkeepError) return error;
    const kind = (error as { name?: string }).name ?? "";
    const code = (error as { code?: string }).code ?? "";
    const endpoint = this.location.endpoint ?? `AWS ${this.location.region}`;
    if (kind === "NoSuchBucket" || (name === "" && status(error) === 404)) return messages.bucketMissing(this.location.bucket, endpoint);
    if (["InvalidAccessKeyId", "SignatureDoesNotMatch", "CredentialsProviderError"].includes(kind)) return messages.remoteAuthFailed(this.description, kind);
    if (kind === "AccessDenied" || status(error) === 403) return messages.remotePermissionDenied(this.description, name || "the bucket");
    if (["ECONNREFUSED", "ENOTFOUND", "EHOSTUNREACH", "ETIMEDOUT"].includes(code) || kind === "TimeoutError") return messages.remoteUnreachable(this.description, `${code || kind} after ${this.location.attempts} attempts`);
    if (["ECONNRESET", "EPIPE"].includes(code)) return messages.remoteConnectionLost(this.description, code);
    return error;
  }

  #key(name: string): string {
    if (name.split("/").includes("..")) throw new Error(`refusing object name with '..': ${name}`);
    return this.location.prefix ? `${this.location.prefix}/${name}` : name;
  }
}

function status(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}
