import { createHmac, timingSafeEqual } from "node:crypto";
import { authSecret } from "../secret";
import { env } from "../env";

// Apps show avatars and remote images without the owner's browser session.
// Sending them to the remote server directly would give it the phone's
// address; an open proxy would serve anyone. So the API hands out proxy
// URLs that carry an HMAC of the remote URL: only URLs this server wrote
// into an API answer can be fetched through it (app/media/proxy/route.ts).

function signatureOf(url: string): string {
  return createHmac("sha256", authSecret()).update(`media-proxy\n${url}`).digest("base64url").slice(0, 32);
}

/** An absolute URL that loads `url` (remote, or our own media) without a session. */
export function signedMediaUrl(url: string): string {
  const origin = env().origin;
  if (url.startsWith(origin + "/")) return url;
  return `${origin}/media/proxy?url=${encodeURIComponent(url)}&sig=${signatureOf(url)}`;
}

export function mediaSignatureValid(url: string, sig: string | null): boolean {
  if (!sig) return false;
  const want = Buffer.from(signatureOf(url));
  const got = Buffer.from(sig);
  return want.length === got.length && timingSafeEqual(want, got);
}
