/**
 * Every secret value revealed during a run is registered here, and every log line,
 * argv shown to the user and error message passes through `redact` before it is printed.
 */
const secrets = new Set<string>();
export const MASK = "***";

export function registerSecret(value: string): void {
  // Very short values would mask ordinary words; secrets that short are refused elsewhere.
  if (value.length >= 4) secrets.add(value);
  const trimmed = value.trim();
  if (trimmed !== value && trimmed.length >= 4) secrets.add(trimmed);
}

export function redact(text: string): string {
  let out = text;
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join(MASK);
  }
  return out;
}

export function forgetSecretsForTests(): void {
  secrets.clear();
}
