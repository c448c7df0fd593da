import { Readable } from "node:stream";
import type { ReadableStream } from "node:stream/web";
import { messageOf } from "../../../core/errors.js";
import { messages } from "../../../core/messages.js";
import type { Store } from "../../../core/types.js";
import { serverSizes } from "./propfind.js";

/**
 * What is in a WebDAV folder, read over HTTP (PROPFIND, GET, HEAD) without mounting it: the
 * store `plan` reads, since plan mounts nothing. It cannot write.
 */
export class WebDavReader implements Store {
  readonly #base: URL;

  constructor(readonly description: string, url: string, private readonly authorization: string) {
    this.#base = new URL(url.endsWith("/") ? url : `${url}/`);
  }

  async get(name: string): Promise<Readable> {
    const response = await this.#fetch(name, "GET");
    if (response.status !== 200 || !response.body) throw messages.remoteUnreachable(this.description, `HTTP ${response.status} to GET ${name}`);
    return Readable.fromWeb(response.body as ReadableStream<Uint8Array>);
  }

  async list(prefix: string): Promise<{ name: string; size: number }[]> {
    const folder = prefix.slice(0, prefix.lastIndexOf("/") + 1);
    if (folder && !(await this.#isFolder(folder))) return [];
    const sizes = await serverSizes(new URL(folder, this.#base).href, this.authorization).catch((error: unknown) => {
      throw messages.remoteUnreachable(this.description, messageOf(error));
    });
    return [...sizes].map(([name, size]) => ({ name: folder + name, size }))
      .filter((o) => o.name.startsWith(prefix)).sort((a, b) => a.name.localeCompare(b.name));
  }

  async exists(name: string): Promise<boolean> {
    const response = await this.#fetch(name, "HEAD");
    if (response.status === 401 || response.status === 403) throw messages.remoteAuthFailed(this.description, `HTTP ${response.status}`);
    return response.ok;
  }

  async freeBytes(): Promise<number | undefined> {
    return undefined;
  }

  put(): Promise<number> { return this.#readOnly(); }
  delete(): Promise<void> { return this.#readOnly(); }
  deleteAll(): Promise<void> { return this.#readOnly(); }

  #fetch(name: string, method: string): Promise<Response> {
    if (name.split("/").includes("..")) throw new Error(`refusing a name with '..': ${name}`);
    return fetch(new URL(name.split("/").map(encodeURIComponent).join("/"), this.#base), { method, headers: { Authorization: this.authorization } })
      .catch((error: Error) => { throw messages.remoteUnreachable(this.description, messageOf(error.cause ?? error)); });
  }

  async #isFolder(folder: string): Promise<boolean> {
    const response = await fetch(new URL(folder.split("/").map(encodeURIComponent).join("/"), this.#base), { method: "PROPFIND", headers: { Depth: "0", Authorization: this.authorization } })
      .catch((error: Error) => { throw messages.remoteUnreachable(this.description, messageOf(error.cause ?? error)); });
    await response.body?.cancel();
    return response.status === 207;
  }

  #readOnly(): Promise<never> {
    return Promise.reject(new Error(`${this.description}: read without mounting, for plan only: it cannot write`));
  }
}
