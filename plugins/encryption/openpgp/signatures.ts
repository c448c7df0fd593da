import type * as openpgp from "openpgp";
import { fingerprintOf, messageOf } from "./fingerprint.js";

type Signatures = openpgp.DecryptMessageResult["signatures"];

/**
 * Requires at least one signature that verifies against one of `expected`.
 * Every `verified` promise is settled so none is left to reject unhandled.
 */
export async function assertSignedBy(
  signatures: Signatures,
  expected: openpgp.PublicKey[],
): Promise<void> {
  ignoreSignatures(signatures);
  const results = await Promise.allSettled(signatures.map((s) => s.verified));
  if (results.some((r) => r.status === "fulfilled")) return;
  const wanted = expected.map(fingerprintOf).join(", ");
  if (signatures.length === 0) {
    throw new Error(`signature check failed: the data is not signed (expected a signature by ${wanted})`);
  }
  const reasons = results.map((r) => (r.status === "rejected" ? messageOf(r.reason) : "")).filter(Boolean);
  throw new Error(`signature check failed: no valid signature by ${wanted} (${reasons.join("; ")})`);
}

/** Drops signature results we are not asked to check, without unhandled rejections. */
export function ignoreSignatures(signatures: Signatures): void {
  for (const s of signatures) {
    s.verified.catch(() => undefined);
    s.signature.catch(() => undefined);
  }
}
