import { describe, expect, it } from "vitest";
import {
  DAY,
  HOUR,
  MINUTE,
  certificateVerdict,
  nameCovers,
  renewalTime,
  retryDelay,
  routeHttpRequest,
  servable,
} from "@/lib/server/tls-policy";

const t0 = new Date("2026-01-01T00:00:00Z");
const at = (days: number) => new Date(t0.getTime() + days * DAY);
const le = { notBefore: t0, notAfter: at(90), names: ["social.example"] };

describe("renewalTime", () => {
  it("is two thirds into the lifetime: day 60 of Let's Encrypt's 90", () => {
    expect(renewalTime(le.notBefore, le.notAfter)).toEqual(at(60));
  });
  it("works for short-lived certificates (6 days → 4 days)", () => {
    expect(renewalTime(t0, at(6))).toEqual(at(4));
  });
});

describe("certificateVerdict", () => {
  it("obtains when there is none, or it cannot be read", () => {
    expect(certificateVerdict(null, "social.example", t0)).toEqual({ action: "obtain", reason: "missing" });
    expect(certificateVerdict("unreadable", "social.example", t0)).toEqual({ action: "obtain", reason: "unreadable" });
  });
  it("keeps a fresh certificate and says when to renew", () => {
    expect(certificateVerdict(le, "social.example", at(1))).toEqual({ action: "keep", renewAt: at(60) });
    expect(certificateVerdict(le, "social.example", new Date(at(60).getTime() - 1))).toMatchObject({ action: "keep" });
  });
  it("renews from two thirds of the lifetime on", () => {
    expect(certificateVerdict(le, "social.example", at(60))).toEqual({ action: "renew", reason: "due", renewAt: at(60) });
    expect(certificateVerdict(le, "social.example", at(89))).toMatchObject({ action: "renew" });
  });
  it("obtains a new one when expired or for another name", () => {
    expect(certificateVerdict(le, "social.example", at(90))).toEqual({ action: "obtain", reason: "expired" });
    expect(certificateVerdict(le, "other.example", at(1))).toEqual({ action: "obtain", reason: "other-name" });
  });
  it("accepts a wildcard that covers the domain", () => {
    expect(certificateVerdict({ ...le, names: ["*.example"] }, "social.example", at(1))).toMatchObject({ action: "keep" });
  });
});

describe("nameCovers / servable", () => {
  it("matches names case-insensitively and wildcards one label deep", () => {
    expect(nameCovers("Social.Example", "social.example.")).toBe(true);
    expect(nameCovers("*.example", "social.example")).toBe(true);
    expect(nameCovers("*.example", "a.social.example")).toBe(false);
    expect(nameCovers("*.example", "example")).toBe(false);
    expect(nameCovers("social.example", "evil-social.example")).toBe(false);
  });
  it("serves only inside the validity period", () => {
    expect(servable(le, "social.example", at(89))).toBe(true);
    expect(servable(le, "social.example", at(90))).toBe(false);
    expect(servable(le, "social.example", at(-1))).toBe(false);
    expect(servable(le, "other.example", at(1))).toBe(false);
  });
});

describe("retryDelay", () => {
  it("backs off 5, 10, 20, 40 minutes, then hourly", () => {
    expect([1, 2, 3, 4, 5, 6, 50].map(retryDelay)).toEqual([5, 10, 20, 40, 60, 60, 60].map((m) => m * MINUTE));
    expect(retryDelay(0)).toBe(5 * MINUTE);
  });
  it("stays under Let's Encrypt's 5 failed validations per hour", () => {
    let elapsed = 0;
    const attempts = [0];
    for (let n = 1; elapsed < 3 * HOUR; n++) attempts.push((elapsed += retryDelay(n)));
    for (const start of attempts) expect(attempts.filter((a) => a >= start && a < start + HOUR).length).toBeLessThanOrEqual(4);
  });
});

describe("routeHttpRequest", () => {
  const origin = "https://social.example";
  it("answers ACME challenges", () => {
    expect(routeHttpRequest("GET", "/.well-known/acme-challenge/AbC-_9", origin)).toEqual({ kind: "challenge", token: "AbC-_9" });
    expect(routeHttpRequest("HEAD", "/.well-known/acme-challenge/tok?x=1", origin)).toEqual({ kind: "challenge", token: "tok" });
  });
  it("redirects everything else to the https origin, keeping path and query", () => {
    expect(routeHttpRequest("GET", "/users/alice?x=1", origin)).toEqual({ kind: "redirect", status: 301, location: "https://social.example/users/alice?x=1" });
    expect(routeHttpRequest("GET", "/", "https://social.example:8443")).toMatchObject({ location: "https://social.example:8443/" });
    expect(routeHttpRequest("POST", "/inbox", origin)).toEqual({ kind: "redirect", status: 308, location: "https://social.example/inbox" });
  });
  it("does not treat odd challenge paths as challenges", () => {
    expect(routeHttpRequest("GET", "/.well-known/acme-challenge/", origin)).toMatchObject({ kind: "redirect" });
    expect(routeHttpRequest("GET", "/.well-known/acme-challenge/../etc", origin)).toMatchObject({ kind: "redirect" });
    expect(routeHttpRequest("POST", "/.well-known/acme-challenge/tok", origin)).toMatchObject({ kind: "redirect", status: 308 });
  });
  it("never redirects to another host, whatever the request says", () => {
    const r = routeHttpRequest("GET", "//evil.example/x", origin);
    expect(r).toMatchObject({ kind: "redirect" });
    expect(new URL((r as { location: string }).location).host).toBe("social.example");
    expect(routeHttpRequest("GET", "http://evil.example/", origin)).toEqual({ kind: "bad-request" });
  });
});
