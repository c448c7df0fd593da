import { expandPath } from "./paths.js";
import { promptHidden } from "./prompt.js";
import type { Runner } from "./runner.js";
import { resolveSecret, type Secret, type SecretSource } from "./secret.js";

/** Resolves a secret source as a job does: files relative to the config's folder, commands through the runner. */
export function resolveJobSecret(source: SecretSource, runner: Runner, configDir: string): Promise<Secret> {
  const located = "file" in source ? { file: expandPath(source.file, configDir) } : source;
  return resolveSecret(located, {
    env: process.env,
    prompt: (question) => promptHidden(question),
    runCommand: async (command) => (await runner.run({ tool: "sh", args: ["-c", command] })).stdout,
  });
}
