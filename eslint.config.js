import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "bench/work/", "bench/data/", "coverage/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: "readonly", console: "readonly", Buffer: "readonly", setTimeout: "readonly", clearTimeout: "readonly", setInterval: "readonly", clearInterval: "readonly", URL: "readonly", AbortController: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" }],
      "no-restricted-imports": ["error", { paths: [{ name: "execa", message: "run external programs through core/runner.ts (the one module that redacts and passes secrets safely)" }] }],
    },
  },
  {
    files: ["core/runner.ts", "test/**", "bench/**", "scripts/**"],
    rules: { "no-restricted-imports": "off" },
  },
);
