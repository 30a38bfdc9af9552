import { describe, expect, it } from "vitest";
import { describeUnreachable, networkErrorCode } from "@/lib/federation/network-errors";

const sys = (code: string, message: string) => Object.assign(new Error(message), { code });
// What undici's fetch throws: a bare "fetch failed" with the system error as its cause.
const fetchFailed = (cause: unknown) => Object.assign(new TypeError("fetch failed"), { cause });

describe("describeUnreachable", () => {
  it.each([
    [sys("ENOTFOUND", "getaddrinfo ENOTFOUND does-not-exist.invalid"), "No server answers at does-not-exist.invalid — check the address for typos."],
    [fetchFailed(sys("ENOTFOUND", "getaddrinfo ENOTFOUND does-not-exist.invalid")), "No server answers at does-not-exist.invalid — check the address for typos."],
    [fetchFailed(sys("ECONNREFUSED", "connect ECONNREFUSED 203.0.113.5:443")), "does-not-exist.invalid refused the connection: its server may be down. Try again later."],
    [Object.assign(new Error("The operation was aborted due to timeout"), { name: "TimeoutError" }), "does-not-exist.invalid did not answer in time. Try again later."],
    [fetchFailed(sys("CERT_HAS_EXPIRED", "certificate has expired")), "does-not-exist.invalid has an HTTPS certificate that is not valid, so Moiety will not talk to it."],
    [new AggregateError([sys("EHOSTUNREACH", "connect EHOSTUNREACH")]), "does-not-exist.invalid cannot be reached from this server (no route to it)."],
    [new Error("Invalid URL"), "Could not reach does-not-exist.invalid. Try again later."],
    ["a string", "Could not reach does-not-exist.invalid. Try again later."],
  ])("%s", (err, expected) => {
    expect(describeUnreachable(err, "does-not-exist.invalid")).toBe(expected);
  });

  it("never repeats the library's text", () => {
    const said = describeUnreachable(fetchFailed(sys("ENOTFOUND", "getaddrinfo ENOTFOUND x.invalid")), "x.invalid");
    expect(said).not.toMatch(/getaddrinfo|ENOTFOUND|fetch failed/);
  });

  it("finds the code however deep the cause, and survives a cause cycle", () => {
    const a: { code?: string; cause?: unknown } = {};
    const b = { cause: a };
    a.cause = b;
    expect(networkErrorCode(a)).toBeUndefined();
    expect(networkErrorCode(fetchFailed(fetchFailed(sys("ECONNRESET", "socket hang up"))))).toBe("ECONNRESET");
  });
});
