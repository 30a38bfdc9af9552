import { describe, expect, it } from "vitest";
import { CLIENT_ADDRESS_HEADER, clientAddressFrom } from "@/lib/client-address";

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
