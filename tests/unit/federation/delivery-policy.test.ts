import { describe, expect, it } from "vitest";
import {
  FIRST_RETRY_MS,
  GIVE_UP_AFTER_MS,
  MAX_RETRY_DELAY_MS,
  classifyDeliveryError,
  classifyDeliveryResponse,
  nextAttemptDelayMs,
  parseRetryAfter,
  shouldGiveUp,
} from "@/lib/federation/outbound/delivery-policy";
import { PrivateAddressError } from "@/lib/federation/safe-fetch";

const now = new Date("2026-03-01T12:00:00Z");
const HOUR = 60 * 60_000;

describe("classifyDeliveryResponse", () => {
  it.each([200, 201, 202, 204, 299])("%i is delivered", (status) => {
    expect(classifyDeliveryResponse(status, null, now)).toEqual({ kind: "delivered" });
  });

  it.each([400, 402, 403, 404, 405, 406, 409, 410, 411, 413, 415, 418, 422, 451, 499])("%i is permanent", (status) => {
    const outcome = classifyDeliveryResponse(status, null, now);
    expect(outcome.kind).toBe("permanent");
    expect(outcome).toHaveProperty("reason", expect.stringContaining(String(status)));
  });

  it("says why a 410 failed", () => {
    expect(classifyDeliveryResponse(410, null, now)).toEqual({ kind: "permanent", reason: "HTTP 410: the inbox is gone" });
  });

  it.each([401, 408, 429, 500, 501, 502, 503, 504, 599])("%i is retried", (status) => {
    const outcome = classifyDeliveryResponse(status, null, now);
    expect(outcome.kind).toBe("retry");
    expect(outcome).not.toHaveProperty("notBefore");
  });

  it.each([301, 302, 307, 308, 100, 600])("an unexpected %i is retried rather than given up at once", (status) => {
    expect(classifyDeliveryResponse(status, null, now).kind).toBe("retry");
  });

  it("honours Retry-After in seconds on 429 and 503", () => {
    for (const status of [429, 503]) {
      expect(classifyDeliveryResponse(status, "120", now)).toEqual({
        kind: "retry",
        notBefore: new Date(now.getTime() + 120_000),
        reason: expect.stringContaining(String(status)),
      });
    }
  });

  it("honours Retry-After as an HTTP date", () => {
    const outcome = classifyDeliveryResponse(429, "Sun, 01 Mar 2026 12:30:00 GMT", now);
    expect(outcome).toMatchObject({ kind: "retry", notBefore: new Date("2026-03-01T12:30:00Z") });
  });

  it("ignores Retry-After on other statuses, and when malformed or past", () => {
    expect(classifyDeliveryResponse(500, "120", now)).not.toHaveProperty("notBefore");
    expect(classifyDeliveryResponse(401, "120", now)).not.toHaveProperty("notBefore");
    expect(classifyDeliveryResponse(429, "soon", now)).not.toHaveProperty("notBefore");
    expect(classifyDeliveryResponse(429, "1.5", now)).not.toHaveProperty("notBefore");
    expect(classifyDeliveryResponse(429, "-5", now)).not.toHaveProperty("notBefore");
    expect(classifyDeliveryResponse(429, "0", now)).not.toHaveProperty("notBefore");
    expect(classifyDeliveryResponse(503, "Sun, 01 Mar 2026 11:00:00 GMT", now)).not.toHaveProperty("notBefore");
  });

  it("caps a far-away Retry-After at the longest retry interval", () => {
    expect(parseRetryAfter(String(30 * 24 * 3600), now)).toEqual(new Date(now.getTime() + MAX_RETRY_DELAY_MS));
    expect(parseRetryAfter("Wed, 01 Apr 2026 12:00:00 GMT", now)).toEqual(new Date(now.getTime() + MAX_RETRY_DELAY_MS));
  });

  it("parses the obsolete HTTP date forms too", () => {
    expect(parseRetryAfter("Sunday, 01-Mar-26 12:10:00 GMT", now)).toEqual(new Date("2026-03-01T12:10:00Z"));
    expect(parseRetryAfter("Sun Mar  1 12:10:00 2026", now)?.getUTCMinutes()).toBeDefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter("  60 ", now)).toEqual(new Date(now.getTime() + 60_000));
  });
});

describe("classifyDeliveryError", () => {
  const sysError = (code: string, message: string) => Object.assign(new Error(message), { code });

  const INBOX = "https://gone.example/inbox";
  it.each([
    ["ECONNREFUSED", "connect ECONNREFUSED 203.0.113.5:443", "gone.example refused the connection: its server may be down. Try again later."],
    ["ECONNRESET", "socket hang up", "gone.example closed the connection before answering. Try again later."],
    ["ENOTFOUND", "getaddrinfo ENOTFOUND gone.example", "No server answers at gone.example — check the address for typos."],
    ["EAI_AGAIN", "getaddrinfo EAI_AGAIN slow.example", "This server could not look up gone.example right now (DNS did not answer). Try again in a moment."],
    ["ETIMEDOUT", "connect ETIMEDOUT", "gone.example did not answer in time. Try again later."],
    ["CERT_HAS_EXPIRED", "certificate has expired", "gone.example has an HTTPS certificate that is not valid, so Moiety will not talk to it."],
  ])("retries %s, saying why in plain words", (code, message, said) => {
    expect(classifyDeliveryError(sysError(code, message), INBOX)).toEqual({ kind: "retry", reason: said });
  });

  it("retries a timeout", () => {
    const timeout = Object.assign(new Error("No answer from slow.example within 10000 ms"), { name: "TimeoutError" });
    expect(classifyDeliveryError(timeout, INBOX)).toEqual({ kind: "retry", reason: "gone.example did not answer in time. Try again later." });
  });

  it("retries an AggregateError from happy eyeballs", () => {
    const error = new AggregateError([sysError("ECONNREFUSED", "connect ECONNREFUSED ::1:443"), sysError("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:443")], "");
    expect(classifyDeliveryError(error, INBOX).reason).toBe("gone.example refused the connection: its server may be down. Try again later.");
  });

  it("gives up at once on a private address and an invalid URL", () => {
    expect(classifyDeliveryError(new PrivateAddressError("Refusing http://10.0.0.1/"), "http://10.0.0.1/inbox")).toEqual({
      kind: "permanent",
      reason: "10.0.0.1 is a private or local network address, which Moiety does not contact.",
    });
    let invalid: unknown;
    try {
      new URL("not a url");
    } catch (e) {
      invalid = e;
    }
    expect(classifyDeliveryError(invalid, "not a url")).toEqual({ kind: "permanent", reason: "Their inbox address is not a valid URL." });
  });
});

describe("retry schedule", () => {
  it("starts at 30 s and doubles", () => {
    const none = () => 0;
    expect([1, 2, 3, 4, 5].map((n) => nextAttemptDelayMs(n, none))).toEqual([30_000, 60_000, 120_000, 240_000, 480_000]);
    expect(FIRST_RETRY_MS).toBe(30_000);
  });

  it("never waits longer than 6 h, even after many attempts", () => {
    for (let n = 1; n <= 100; n++) {
      for (const r of [0, 0.5, 0.999]) expect(nextAttemptDelayMs(n, () => r)).toBeLessThanOrEqual(6 * HOUR);
    }
    expect(nextAttemptDelayMs(50, () => 0)).toBe(6 * HOUR);
  });

  it("jitters each wait down by at most a quarter", () => {
    expect(nextAttemptDelayMs(3, () => 0.999)).toBeGreaterThan(0.75 * 120_000);
    expect(nextAttemptDelayMs(3, () => 0.5)).toBe(105_000);
    expect(nextAttemptDelayMs(0, () => 0)).toBe(30_000); // nonsense input is treated as the first attempt
  });

  // Simulate a delivery that fails forever: attempt, wait, attempt, ... until shouldGiveUp.
  function simulate(random: () => number) {
    const queuedAt = new Date("2026-03-01T00:00:00Z");
    let t = queuedAt.getTime();
    let attempts = 0;
    for (;;) {
      attempts++; // an attempt at time t fails
      if (shouldGiveUp(queuedAt, new Date(t))) break;
      t += nextAttemptDelayMs(attempts, random);
    }
    return { attempts, hours: (t - queuedAt.getTime()) / HOUR };
  }

  it("keeps trying for about two days, then gives up", () => {
    for (const r of [0, 0.5, 0.999]) {
      const { attempts, hours } = simulate(() => r);
      expect(hours).toBeGreaterThanOrEqual(48);
      expect(hours).toBeLessThan(48 + 6);
      expect(attempts).toBeGreaterThanOrEqual(14);
      expect(attempts).toBeLessThanOrEqual(22);
    }
  });

  it("gives up exactly at 48 h after the first attempt", () => {
    const first = new Date("2026-03-01T00:00:00Z");
    expect(GIVE_UP_AFTER_MS).toBe(48 * HOUR);
    expect(shouldGiveUp(first, new Date(first.getTime() + 48 * HOUR - 1))).toBe(false);
    expect(shouldGiveUp(first, new Date(first.getTime() + 48 * HOUR))).toBe(true);
    expect(shouldGiveUp(first, first)).toBe(false);
  });
});
