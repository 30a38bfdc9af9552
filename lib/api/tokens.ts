import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

// Secrets handed to clients: 32 random bytes, base64url. Only their sha256 is stored, so a copy
// of the database opens nothing.

export function newSecret(): string {
  return randomBytes(32).toString("base64url");
}

export function sha256(value: string): string {
  return createHash("sha256").update(value, "utf8").digest("hex");
}

/** Compare two strings without leaking where they differ. */
export function sameSecret(a: string, b: string): boolean {
  const x = createHash("sha256").update(a).digest();
  const y = createHash("sha256").update(b).digest();
  return timingSafeEqual(x, y) && a === b;
}

/** PKCE (RFC 7636): does `verifier` answer `challenge` under `method`? */
export function pkceMatches(verifier: string, challenge: string, method: string): boolean {
  if (!/^[A-Za-z0-9\-._~]{43,128}$/.test(verifier)) return false;
  const expected = method === "S256" ? createHash("sha256").update(verifier, "ascii").digest("base64url") : verifier;
  return sameSecret(expected, challenge);
}
