import { describe, expect, it } from "vitest";
import { CLIENT_ADDRESS_HEADER, FRONT_SECRET_HEADER, cameThroughFront, clientAddressFrom } from "@/lib/client-address";

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
