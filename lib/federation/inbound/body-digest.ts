import { createHash } from "node:crypto";
import { parseDictionary } from "structured-headers";

// The body's digest as the sender states it: `Digest` (RFC 3230, draft-cavage
// signatures sign it) and `Content-Digest` (RFC 9530, RFC 9421 signatures
// cover it). Only SHA-256 and SHA-512 count. A header must name at least one of
// them, and every one it names must match the body: a correct SHA-256 beside
// a wrong SHA-512 is refused, not half-believed.

const HASHES: Record<string, { node: "sha256" | "sha512"; bytes: number }> = {
  "sha-256": { node: "sha256", bytes: 32 },
  "sha-512": { node: "sha512", bytes: 64 },
};

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function matches(body: Buffer, algorithm: string, digest: Buffer): boolean {
  const hash = HASHES[algorithm];
  return digest.length === hash.bytes && createHash(hash.node).update(body).digest().equals(digest);
}

/** What is wrong with a `Digest` header for this body, or null. */
export function digestProblem(header: string, body: Buffer): string | null {
  let supported = 0;
  for (const part of header.split(",")) {
    const at = part.indexOf("=");
    if (at < 0) return "The Digest header is malformed.";
    const algorithm = part.slice(0, at).trim().toLowerCase();
    const value = part.slice(at + 1).trim();
    if (!(algorithm in HASHES)) continue;
    if (value.length === 0 || value.length % 4 !== 0 || !BASE64.test(value)) return "The Digest header is not base64.";
    if (!matches(body, algorithm, Buffer.from(value, "base64"))) return "The Digest header does not match the body.";
    supported++;
  }
  return supported > 0 ? null : "The Digest header gives no SHA-256 or SHA-512 digest.";
}

/** What is wrong with a `Content-Digest` header for this body, or null. */
export function contentDigestProblem(header: string, body: Buffer): string | null {
  let dictionary;
  try {
    dictionary = parseDictionary(header);
  } catch {
    return "The Content-Digest header is not a structured field.";
  }
  let supported = 0;
  for (const [algorithm, member] of dictionary) {
    if (!(algorithm in HASHES)) continue;
    const value = member[0];
    if (!(value instanceof ArrayBuffer)) return "The Content-Digest header's value is not a byte sequence.";
    if (!matches(body, algorithm, Buffer.from(value))) return "The Content-Digest header does not match the body.";
    supported++;
  }
  return supported > 0 ? null : "The Content-Digest header gives no sha-256 or sha-512 digest.";
}
