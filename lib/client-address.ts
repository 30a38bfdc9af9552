import { createHash, timingSafeEqual } from "node:crypto";

// The front server (lib/server/front.ts) strips this header from every incoming
// request and sets it from the socket (or from a trusted proxy), so it cannot
// be forged by clients. Without the front, all requests share one bucket.
export const CLIENT_ADDRESS_HEADER = "x-moiety-client-address";

// The app server's private port is reachable by every process on the machine,
// not only by the front. The front proves a request came through it with this
// header, holding a secret that `moiety serve` makes for each start and hands
// to the app server in its environment (MOIETY_FRONT_SECRET).
export const FRONT_SECRET_HEADER = "x-moiety-front-secret";

type HeaderSource = Headers | Record<string, string | string[] | undefined> | undefined;

function header(headers: HeaderSource, name: string): string | undefined {
  let value: string | string[] | null | undefined;
  if (headers instanceof Headers) value = headers.get(name);
  else if (headers) value = headers[name];
  return (Array.isArray(value) ? value[0] : value) ?? undefined;
}

export function clientAddressFrom(headers: HeaderSource): string {
  return header(headers, CLIENT_ADDRESS_HEADER)?.trim() || "unknown";
}

/** Whether the request carries the front's secret (compared in constant time). */
export function cameThroughFront(headers: HeaderSource, secret: string): boolean {
  const given = header(headers, FRONT_SECRET_HEADER);
  if (!given || !secret) return false;
  // Equal-length digests: timingSafeEqual needs equal lengths, and the length must not leak either.
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(given), digest(secret));
}
