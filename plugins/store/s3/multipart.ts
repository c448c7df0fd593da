import type { S3Client } from "@aws-sdk/client-s3";
import { isTransient, withRetries, type RetryPolicy } from "../remote/retry.js";
import { partBody, type Part, type PartBuffers } from "./parts.js";

/** S3's limit of parts in one multipart upload. */
export const MAX_PARTS = 10_000;

export interface MultipartTarget {
  client: S3Client;
  sdk: typeof import("@aws-sdk/client-s3");
  bucket: string;
  key: string;
  parallelParts: number;
  retry: RetryPolicy;
  buffers: PartBuffers;
  /** The error for an object that needs more than MAX_PARTS parts. */
  tooManyParts(): Error;
}

/**
 * One multipart upload of `first` and the parts `rest` yields, `parallelParts` at once, each
 * retried on its own. The first failure (or the caller's abort) stops taking parts and aborts the
 * upload on the server, so nothing of it stays visible. Returns the bytes uploaded.
 */
export async function uploadMultipart(target: MultipartTarget, first: Part, rest: AsyncIterator<Part>, signal?: AbortSignal): Promise<number> {
  const { client, sdk, bucket: Bucket, key: Key } = target;
  const { UploadId } = await retrying(target.retry, () => client.send(new sdk.CreateMultipartUploadCommand({ Bucket, Key }), { abortSignal: signal }), signal);
  const stop = new AbortController();
  const stopOn = () => stop.abort(signal?.reason);
  signal?.addEventListener("abort", stopOn, { once: true });
  const uploaded: { PartNumber: number; ETag?: string }[] = [];
  let bytes = 0;
  let pending: Part | undefined = first;
  const take = async (): Promise<Part | undefined> => {
    if (stop.signal.aborted) return undefined;
    const part = pending ?? (await rest.next()).value as Part | undefined;
    pending = undefined;
    return part && part.bytes > 0 ? part : undefined;
  };
  const uploader = async () => {
    for (let part = await take(); part; part = await take()) {
      if (part.number > MAX_PARTS) throw target.tooManyParts();
      uploaded.push(await sendPart(target, UploadId, part, stop.signal));
      bytes += part.bytes;
      target.buffers.give(part);
    }
  };
  try {
    const results = await Promise.allSettled(Array.from({ length: target.parallelParts }, () => uploader().catch((error: unknown) => {
      stop.abort(error);
      throw error;
    })));
    // The first failure (or the caller's abort) is the reason; the other uploaders' errors echo it.
    if (stop.signal.aborted) throw stop.signal.reason;
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
    uploaded.sort((a, b) => a.PartNumber - b.PartNumber);
    await retrying(target.retry, () => client.send(new sdk.CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: uploaded } })));
    return bytes;
  } catch (error) {
    await client.send(new sdk.AbortMultipartUploadCommand({ Bucket, Key, UploadId })).catch(() => undefined);
    throw error;
  } finally {
    signal?.removeEventListener("abort", stopOn);
  }
}

/**
 * One part, with a new stream of its bytes for each attempt. A function of its own on purpose:
 * the same closure written inside the upload loop kept every finished part's buffers alive until
 * the upload ended (twice the memory).
 */
async function sendPart(target: MultipartTarget, UploadId: string | undefined, part: Part, signal: AbortSignal): Promise<{ PartNumber: number; ETag?: string }> {
  const { client, sdk, bucket: Bucket, key: Key } = target;
  const { ETag } = await retrying(target.retry, () => client.send(new sdk.UploadPartCommand({
    Bucket, Key, UploadId, PartNumber: part.number, ContentLength: part.bytes, Body: partBody(part),
  }), { abortSignal: signal }), signal);
  return { PartNumber: part.number, ETag };
}

/** A request retried here on a transient error: the SDK gives up on a streamed body at the first error. */
export function retrying<T>(policy: RetryPolicy, request: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  return withRetries(request, policy, { transient: isTransientS3, signal });
}

/** Worth another try: a network hiccup, a server error (5xx) or a throttle. */
function isTransientS3(error: unknown): boolean {
  const kind = (error as { name?: string }).name ?? "";
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0;
  return isTransient(error) || status >= 500 || ["TimeoutError", "RequestTimeout", "SlowDown", "Throttling"].includes(kind);
}
