import { describe, expect, it } from "vitest";
import { AddressLimit, addressGroup } from "@/lib/server/address-limit";

describe("addressGroup", () => {
  it("keeps an IPv4 address whole, also when written IPv4-mapped", () => {
    expect(addressGroup("203.0.113.9")).toBe("203.0.113.9");
    expect(addressGroup("::ffff:203.0.113.9")).toBe("203.0.113.9");
  });

  it("puts every address of one IPv6 /64 in one group, however it is written", () => {
    const group = "2001:db8:1:2::/64";
    expect(addressGroup("2001:db8:1:2::1")).toBe(group);
    expect(addressGroup("2001:0db8:0001:0002:ffff:ffff:ffff:fffe")).toBe(group);
    expect(addressGroup("[2001:DB8:1:2:a:b:c:d]")).toBe(group);
    expect(addressGroup("2001:db8:1:2::5%eth0")).toBe(group);
    expect(addressGroup("2001:db8:1:3::1")).not.toBe(group);
    expect(addressGroup("::1")).toBe("0:0:0:0::/64");
    expect(addressGroup("64:ff9b::203.0.113.9")).toBe("64:ff9b:0:0::/64");
  });

  it("passes anything else through", () => {
    expect(addressGroup("unknown")).toBe("unknown");
    expect(addressGroup("")).toBe("unknown");
  });
});

describe("AddressLimit", () => {
  it("refuses a group beyond its maximum and counts each group apart", () => {
    const limit = new AddressLimit(2);
    expect([limit.enter("a"), limit.enter("a"), limit.enter("a")]).toEqual([true, true, false]);
    expect(limit.enter("b")).toBe(true);
    limit.leave("a");
    expect(limit.enter("a")).toBe(true);
    expect(limit.held("a")).toBe(2);
    limit.leave("b");
    expect(limit.held("b")).toBe(0);
  });
});
