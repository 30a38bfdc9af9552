import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { authSecret } from "../secret";

// Mastodon puts the subscribing app's access token into every push payload
// (apps use it to fetch the notification), but Moiety keeps tokens only as
// SHA-256. So the token a subscription was made with is kept encrypted with
// AES-256-GCM under a key derived (HKDF-SHA-256) from the auth secret, which
// lives in the data dir (or NEXTAUTH_SECRET), not in the database: a copy of
// moiety.db alone yields no token. The token row's id is the associated data,
// so a ciphertext moved to another subscription does not open.

const FORMAT = "v1";

function key(secret: string): Buffer {
  return Buffer.from(hkdfSync("sha256", secret, "moiety push token", "AES-256-GCM key for PushSubscription.tokenCipher", 32));
}

/** The token sealed for storage; `tokenId` binds it to its ApiToken row. */
export function sealToken(token: string, tokenId: number, secret: string = authSecret()): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key(secret), iv);
  cipher.setAAD(Buffer.from(`token:${tokenId}`));
  const ct = Buffer.concat([cipher.update(token, "utf8"), cipher.final()]);
  return [FORMAT, iv.toString("base64url"), ct.toString("base64url"), cipher.getAuthTag().toString("base64url")].join(".");
}

/** The token back, or null when the ciphertext is damaged, for another token, or under another secret. */
export function openToken(sealed: string, tokenId: number, secret: string = authSecret()): string | null {
  const [format, iv, ct, tag] = sealed.split(".");
  if (format !== FORMAT || !iv || !ct || !tag) return null;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key(secret), Buffer.from(iv, "base64url"));
    decipher.setAAD(Buffer.from(`token:${tokenId}`));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([decipher.update(Buffer.from(ct, "base64url")), decipher.final()]).toString("utf8");
  } catch {
    return null;
  }
}
