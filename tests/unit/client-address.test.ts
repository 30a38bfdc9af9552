import { describe, expect, it } from "vitest";
import { CLIENT_ADDRESS_HEADER, FRONT_SECRET_HEADER, cameThroughFront, clientAddressFrom, throttleBucket } from "@/lib/client-address";

describe("client address", () => {
  it("reads the front server's header from Headers or a plain object", () => {
    expect(clientAddressFrom(new Headers({ [CLIENT_ADDRESS_HEADER]: "127.0.0.2" }))).toBe("127.0.0.2");
    expect(clientAddressFrom({ [CLIENT_ADDRESS_HEADER]: "::1" })).toBe("::1");
  });
  it("ignores X-Forwarded-For, which any client can send", () => {
    expect(clientAddressFrom(new Headers({ "x-forwarded-for": "1.2.3.4" }))).toBe("unknown");
    expect(clientAddressFrom(undefined)).toBe("unknown");
  });
});

describe("throttle bucket", () => {
  it("keeps an IPv4 address as it is", () => {
    expect(throttleBucket("203.0.113.9")).toBe("203.0.113.9");
    expect(throttleBucket("127.0.0.5")).not.toBe(throttleBucket("127.0.0.6"));
  });
  it("puts every address of an IPv6 /64 in one bucket, however it is written", () => {
    const bucket = "2001:db8:1:2::/64";
    for (const a of [
      "2001:db8:1:2::1",
      "2001:db8:1:2:ffff:ffff:ffff:ffff",
      "2001:0DB8:0001:0002:0:0:0:0",
      "[2001:db8:1:2::abcd]",
      "2001:db8:1:2:a:b:1.2.3.4",
      "2001:db8:1:2::1%eth0",
    ]) {
      expect(throttleBucket(a), a).toBe(bucket);
    }
    expect(throttleBucket("2001:db8:1:3::1")).toBe("2001:db8:1:3::/64");
    expect(throttleBucket("::1")).toBe("0:0:0:0::/64");
    expect(throttleBucket("fe80::1")).toBe("fe80:0:0:0::/64");
    expect(throttleBucket("2001:db8::")).toBe("2001:db8:0:0::/64");
  });
  it("treats an IPv4-mapped IPv6 address as the IPv4 address", () => {
    expect(throttleBucket("::ffff:203.0.113.9")).toBe("203.0.113.9");
    expect(throttleBucket("::FFFF:cb00:7109")).toBe("203.0.113.9");
    expect(throttleBucket("0:0:0:0:0:ffff:7f00:1")).toBe("127.0.0.1");
  });
  it("leaves anything that is not an address as its own bucket", () => {
    expect(throttleBucket("unknown")).toBe("unknown");
    expect(throttleBucket("not an address")).toBe("not an address");
  });
});

describe("the front's secret", () => {
  const secret = "s".repeat(43);
  it("is accepted only when it matches exactly", () => {
    expect(cameThroughFront(new Headers({ [FRONT_SECRET_HEADER]: secret }), secret)).toBe(true);
    expect(cameThroughFront({ [FRONT_SECRET_HEADER]: secret }, secret)).toBe(true);
    expect(cameThroughFront(new Headers({ [FRONT_SECRET_HEADER]: secret.slice(1) }), secret)).toBe(false);
    expect(cameThroughFront(new Headers({ [FRONT_SECRET_HEADER]: secret + "s" }), secret)).toBe(false);
    expect(cameThroughFront(new Headers({ [CLIENT_ADDRESS_HEADER]: "203.0.113.9" }), secret)).toBe(false);
    expect(cameThroughFront(undefined, secret)).toBe(false);
  });
  it("is never matched by an empty one", () => {
    expect(cameThroughFront({ [FRONT_SECRET_HEADER]: "" }, "")).toBe(false);
  });
});
