// What to do after trying to POST an activity to an inbox. Pure: no I/O, the
// clock and randomness are passed in. The rules follow what Mastodon and the
// other servers expect of a sender (Mastodon's and GoToSocial's retry rules):
//   2xx                    delivered
//   401, 408, 429, 5xx     try again later (429/503 with Retry-After: not before then)
//   other 4xx (410, 404…)  permanent: the same request will never succeed
//   network errors         try again later; a refused private address is permanent
// and retries back off exponentially, giving up about two days after queueing.

import { describeUnreachable } from "../network-errors";

export type DeliveryOutcome =
  | { kind: "delivered" }
  | { kind: "permanent"; reason: string }
  | { kind: "retry"; notBefore?: Date; reason: string };

/** First retry waits about this long; each further one doubles it. */
export const FIRST_RETRY_MS = 30_000;
/** No wait between two attempts is longer, not even one a server asks for with Retry-After. */
export const MAX_RETRY_DELAY_MS = 6 * 60 * 60_000;
/** A delivery still failing this long after it was queued is given up. */
export const GIVE_UP_AFTER_MS = 48 * 60 * 60_000;

const RETRYABLE_4XX = new Set([401, 408, 429]);
const HONOURS_RETRY_AFTER = new Set([429, 503]);

const WHY: Record<number, string> = {
  400: "the server rejected the activity",
  401: "the server did not accept our signature",
  403: "the server refused us",
  404: "no such inbox",
  405: "not an inbox",
  408: "the server timed out reading the request",
  410: "the inbox is gone",
  413: "the activity is too large for the server",
  422: "the server could not process the activity",
  429: "rate limited",
  500: "server error",
  502: "bad gateway",
  503: "server unavailable",
  504: "gateway timeout",
};

function describe(status: number): string {
  const why = WHY[status];
  return why ? `HTTP ${status}: ${why}` : `HTTP ${status}`;
}

export function classifyDeliveryResponse(status: number, retryAfterHeader: string | null, now: Date): DeliveryOutcome {
  if (status >= 200 && status <= 299) return { kind: "delivered" };
  if (status >= 400 && status <= 499 && !RETRYABLE_4XX.has(status)) {
    return { kind: "permanent", reason: describe(status) };
  }
  const reason = status >= 300 && status <= 399 ? `HTTP ${status}: the inbox redirects, and inbox POSTs are not redirected` : describe(status);
  // 3xx, 401, 408, 429, 5xx and anything odd: maybe it works later. A
  // redirect counts too (Mastodon also retries those); a moved inbox usually
  // comes with an actor Update that points at the new one.
  const notBefore = HONOURS_RETRY_AFTER.has(status) ? parseRetryAfter(retryAfterHeader, now) : undefined;
  return notBefore ? { kind: "retry", notBefore, reason } : { kind: "retry", reason };
}

/**
 * Retry-After as a time: delay-seconds ("120") or an HTTP-date. Undefined when
 * absent, malformed or already past; capped at MAX_RETRY_DELAY_MS so a server
 * cannot park a delivery beyond the give-up window.
 */
export function parseRetryAfter(value: string | null, now: Date): Date | undefined {
  if (value == null) return undefined;
  const v = value.trim();
  let at: number;
  if (/^\d+$/.test(v)) {
    at = now.getTime() + Number(v) * 1000;
  } else if (/[a-z]{3}/i.test(v)) {
    // IMF-fixdate, RFC 850 or asctime; all have a day or month name.
    at = Date.parse(v);
    if (Number.isNaN(at)) return undefined;
  } else {
    return undefined;
  }
  if (at <= now.getTime()) return undefined;
  return new Date(Math.min(at, now.getTime() + MAX_RETRY_DELAY_MS));
}

/**
 * An error thrown by the request itself (no HTTP answer). Matched by name and
 * code rather than class, since Next may load the defining modules twice.
 */
export function classifyDeliveryError(error: unknown, inbox: string): Exclude<DeliveryOutcome, { kind: "delivered" }> {
  const e = error as { name?: string; code?: string } | null;
  let url: URL;
  try {
    url = new URL(inbox);
  } catch {
    return { kind: "permanent", reason: "Their inbox address is not a valid URL." };
  }
  const host = url.host;
  if (url.protocol !== "https:" && url.protocol !== "http:") return { kind: "permanent", reason: "Their inbox address is not a web (https://) address." };
  if (e?.name === "PrivateAddressError") return { kind: "permanent", reason: `${host} is a private or local network address, which Moiety does not contact.` };
  if (e?.code === "ERR_INVALID_URL") return { kind: "permanent", reason: "Their inbox address is not a valid URL." };
  // Connection refused or reset, DNS failure, timeout, TLS trouble: all may pass. The reason is
  // shown to the owner, so it is a sentence, not the library's message.
  return { kind: "retry", reason: describeUnreachable(error, host) };
}

/**
 * How long to wait after the `attempt`-th failed attempt (1-based): 30 s,
 * 1 min, 2 min, … doubling up to 6 h, then 6 h each. `random` (0 ≤ r < 1)
 * shortens each wait by up to a quarter, so deliveries that failed together
 * (a server was down) do not all come back in the same second.
 */
export function nextAttemptDelayMs(attempt: number, random: () => number = Math.random): number {
  const n = Math.max(1, Math.floor(attempt));
  const base = Math.min(FIRST_RETRY_MS * 2 ** (n - 1), MAX_RETRY_DELAY_MS);
  return Math.round(base * (1 - 0.25 * random()));
}

/** Whether a delivery first queued at `firstAttemptAt` has been failing long enough to give up. */
export function shouldGiveUp(firstAttemptAt: Date, now: Date): boolean {
  return now.getTime() - firstAttemptAt.getTime() >= GIVE_UP_AFTER_MS;
}
