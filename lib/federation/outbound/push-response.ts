import { parseRetryAfter } from "./delivery-policy";

// What to do after POSTing a push to a push service (RFC 8030). Pure: the
// clock and randomness are passed in.
//   2xx            delivered (201 Created is the usual answer)
//   404, 410       the subscription is gone (expired, or the app unsubscribed): delete it
//   429, 5xx       try again later, not before Retry-After when given
//   other 4xx      this push will never be accepted (too big, bad VAPID, …): drop it
//   network errors try again later; a private address is never contacted: drop

export type PushOutcome =
  | { kind: "delivered" }
  | { kind: "gone"; reason: string }
  | { kind: "drop"; reason: string }
  | { kind: "retry"; reason: string; notBefore?: Date };

export function classifyPushResponse(status: number, retryAfter: string | null, now: Date): PushOutcome {
  if (status >= 200 && status <= 299) return { kind: "delivered" };
  if (status === 404 || status === 410) return { kind: "gone", reason: `HTTP ${status}: the subscription no longer exists` };
  if (status === 429 || status >= 500) {
    const notBefore = parseRetryAfter(retryAfter, now);
    const reason = status === 429 ? "HTTP 429: rate limited" : `HTTP ${status}: push service error`;
    return notBefore ? { kind: "retry", reason, notBefore } : { kind: "retry", reason };
  }
  return { kind: "drop", reason: `HTTP ${status}: the push service refused the push` };
}

export function classifyPushError(error: unknown): PushOutcome {
  const e = error as { name?: string; message?: string } | null;
  if (e?.name === "PrivateAddressError") return { kind: "drop", reason: `the push endpoint is a private or local network address: ${e.message ?? ""}` };
  return { kind: "retry", reason: e?.message ?? String(error) };
}

/** First retry after 10 s, doubling to at most an hour; up to a quarter shorter at random so retries spread. */
export function pushRetryDelayMs(attempt: number, random: () => number = Math.random): number {
  const n = Math.max(1, Math.floor(attempt));
  const base = Math.min(10_000 * 2 ** (n - 1), 60 * 60_000);
  return Math.round(base * (1 - 0.25 * random()));
}

/** When to try again: what the service asked for (at least a second from now), else our backoff. */
export function pushRetryAt(outcome: Extract<PushOutcome, { kind: "retry" }>, attempt: number, now: Date, random: () => number = Math.random): Date {
  if (outcome.notBefore) return new Date(Math.max(outcome.notBefore.getTime(), now.getTime() + 1000));
  return new Date(now.getTime() + pushRetryDelayMs(attempt, random));
}
