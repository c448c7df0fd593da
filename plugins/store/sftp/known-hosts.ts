import { createHash, createHmac } from "node:crypto";
import { readFile } from "node:fs/promises";

/** `SHA256:...` as ssh prints it, for a raw public key blob. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}`;
}

/** How known_hosts names a host: `host` on port 22, `[host]:port` otherwise. */
function hostPattern(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** True when one comma-separated entry of a known_hosts line names the host (plain or hashed `|1|salt|hash`). */
function namesHost(entry: string, name: string): boolean {
  if (entry.startsWith("|1|")) {
    const [, , salt, hash] = entry.split("|");
    if (!salt || !hash) return false;
    return createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64") === hash;
  }
  return entry === name;
}

export type HostKeyVerdict = "known" | "unknown" | "changed";

/** The keys known_hosts lists for a host, as base64 blobs. Markers (@revoked, @cert-authority) are not trusted. */
export async function knownKeys(file: string, host: string, port: number): Promise<string[]> {
  const text = await readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return "";
    throw error;
  });
  const name = hostPattern(host, port);
  const keys: string[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith("@")) continue;
    const [hosts, , blob] = line.split(/\s+/);
    if (hosts && blob && hosts.split(",").some((entry) => namesHost(entry, name))) keys.push(blob);
  }
  return keys;
}

export function judgeHostKey(known: string[], key: Buffer): HostKeyVerdict {
  if (known.length === 0) return "unknown";
  return known.includes(key.toString("base64")) ? "known" : "changed";
}
