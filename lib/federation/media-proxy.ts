import { db } from "../db";
import { sniffImageType } from "../domain/image-type";
import { readCapped } from "./read-capped";
import { safeFetch } from "./safe-fetch";

// Remote images (avatars, attachments) are fetched by this server and served
// same-origin, so the other servers never learn the owner's IP address or
// when they read a message. Only images we have a reason to show are fetched
// (an avatar or attachment we stored), through the SSRF-safe fetch, up to 8 MiB,
// and only if the bytes really are PNG, JPEG, WebP or GIF.

const MAX_BYTES = 8 * 1024 * 1024;

const fail = (status: number, message: string) =>
  new Response(message, { status, headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" } });

async function isKnownMediaUrl(url: string): Promise<boolean> {
  if ((await db().remoteActor.count({ where: { iconUrl: url } })) > 0) return true;
  // Attachments are stored as JSON; the URL appears there JSON-escaped.
  const needle = JSON.stringify(url).slice(1, -1);
  return (await db().message.count({ where: { attachments: { contains: needle } } })) > 0;
}

export async function proxyRemoteImage(raw: string | null): Promise<Response> {
  if (!raw) return fail(400, "Missing url.");
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return fail(400, "Not a URL.");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return fail(400, "Only http(s) images.");
  if (!(await isKnownMediaUrl(url.href))) return fail(404, "Unknown image.");
  let res: Response;
  try {
    res = await safeFetch(url, { headers: { accept: "image/*" } }, { timeoutMs: 15_000 });
  } catch {
    return fail(502, "The image could not be fetched.");
  }
  if (!res.ok || !res.body) return fail(502, `The image server answered ${res.status}.`);
  const bytes = await readCapped(res, MAX_BYTES);
  if (!bytes) return fail(413, "The image is too large.");
  const type = sniffImageType(bytes);
  if (!type) return fail(415, "Not an image Moiety shows.");
  return new Response(new Uint8Array(bytes), {
    headers: {
      "content-type": type,
      "cache-control": "private, max-age=86400",
      "x-content-type-options": "nosniff",
      "content-security-policy": "default-src 'none'; sandbox",
    },
  });
}
