export { defineConfig, definePlugin, definePreset } from "./config/define.js";
export { Engine, type Services } from "./engine.js";
export { CryptkeepError } from "./errors.js";
export { ExitCode } from "./exit-codes.js";
export { secretSourceSchema, type SecretSource, Secret } from "./secret.js";
export type * from "./types.js";
export type { RestoreRequest, VerifyRequest, PruneRequest, Hooks } from "./hooks.js";
