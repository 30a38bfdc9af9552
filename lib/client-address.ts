import { createHash, timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";

// The front server (lib/server/front.ts) strips this header from every incoming
// request and sets it from the socket (or from a trusted proxy), so it cannot
// be forged by clients. Without the front, all requests share one bucket.
export const CLIENT_ADDRESS_HEADER = "x-moiety-client-address";

// The app server's private port (Next's handler, inside the `moiety serve`
// process: lib/server/next-app.ts) is reachable by every process on the machine,
// not only by the front. The front proves a request came through it with this
// header, holding a secret that `moiety serve` makes for each start and hands
// to the app in process.env (MOIETY_FRONT_SECRET, read by proxy.ts).
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

/**
 * The throttling bucket an address belongs to: an IPv4 address by itself, an
 * IPv6 address by its /64 (one customer's network: a home or a server gets a
 * whole /64, so per-address buckets would give an attacker 2^64 of them), and
 * an IPv4-mapped IPv6 address as the IPv4 address it is. Anything that is not
 * an address ("unknown") is its own bucket.
 */
export function throttleBucket(address: string): string {
  const bare = address.trim().replace(/^\[|\]$/g, "").replace(/%.*$/, "").toLowerCase();
  if (isIP(bare) === 4) return bare;
  if (isIP(bare) !== 6) return address.trim();
  const groups = ipv6Groups(bare);
  const mapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
  if (mapped) return [groups[6] >> 8, groups[6] & 0xff, groups[7] >> 8, groups[7] & 0xff].join(".");
  return `${groups.slice(0, 4).map((g) => g.toString(16)).join(":")}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (a trailing dotted IPv4 part counts as two). */
function ipv6Groups(address: string): number[] {
  let text = address;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number);
    text = text.slice(0, dotted.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes("::") ? text.split("::") : [text, null];
  const parse = (part: string) => (part ? part.split(":").map((g) => parseInt(g, 16)) : []);
  const front = parse(head);
  const back = tail === null ? [] : parse(tail);
  const zeros = tail === null ? [] : new Array(8 - front.length - back.length).fill(0);
  return [...front, ...zeros, ...back];
}
