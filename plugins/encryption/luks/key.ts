import { randomBytes } from "node:crypto";
import { mkdir, stat, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { messages } from "../../../core/messages.js";
import { describeSource, resolveSecret, Secret, type SecretSource } from "../../../core/secret.js";
import type { RunContext } from "../../../core/types.js";
import { generatedKeyBytes, type LuksOptions } from "./options.js";

/**
 * The LUKS key as the bytes cryptsetup reads on stdin. A key file is read as it is (binary keys
 * from `dd if=/dev/random` stay intact); other sources give text, with one final newline dropped.
 */
export async function luksKey(ctx: RunContext, options: LuksOptions): Promise<Secret> {
  const source = options.key;
  const secret = "file" in source
    ? await resolveSecret({ file: ctx.resolvePath(source.file) }, { env: process.env, runCommand: unused, prompt: unused }, false)
    : await ctx.secret(source, "LUKS key");
  return options.keyEncoding === "base64" ? new Secret(Buffer.from(secret.reveal().trim(), "base64"), secret.origin) : secret;
}

const unused = (): never => { throw new Error("not a file source"); };

/**
 * At `init`: when the source has no key yet and generateKey is set, makes a random key. A key
 * file is written (mode 600, never shown); any other source gets it printed once as base64.
 */
export async function ensureKey(ctx: RunContext, options: LuksOptions): Promise<Secret> {
  const source: SecretSource = options.key;
  const missing = "file" in source
    ? !(await stat(ctx.resolvePath(source.file)).then(() => true, () => false))
    : "env" in source && !process.env[source.env];
  if (!missing) return luksKey(ctx, options);
  if (options.generateKey === false) throw messages.luksKeyMissingAtInit(describeSource(source));
  const bytes = randomBytes(generatedKeyBytes(options.generateKey));
  const base64 = bytes.toString("base64");
  if ("file" in source) {
    const file = ctx.resolvePath(source.file);
    ctx.step(`write a random ${bytes.length}-byte key to ${file} (mode 600)`);
    if (!ctx.dryRun) {
      await mkdir(dirname(file), { recursive: true, mode: 0o700 });
      await writeFile(file, options.keyEncoding === "base64" ? `${base64}\n` : bytes, { mode: 0o600, flag: "wx" });
    }
    ctx.log.warn(`a random LUKS key was written to ${file}: keep a copy somewhere safe, away from the backup; without it the backup cannot be opened`);
  } else {
    ctx.step(`make a random ${bytes.length}-byte key and show it once (base64)`);
    ctx.log.warn(`the new LUKS key (base64), shown once — store it where ${describeSource(source)} gives it, and keep a copy away from the backup:\n${base64}`);
  }
  return new Secret(bytes, "generated key");
}
