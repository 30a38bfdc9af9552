import { describe, expect, it } from "vitest";
import { describePublicAddress, handleFor } from "@/lib/domain/public-address";

describe("public address", () => {
  it("gives the handle from the origin's host", () => {
    expect(handleFor("alice", "https://social.example")).toBe("@alice@social.example");
    expect(handleFor("alice", "http://127.0.0.1:4001")).toBe("@alice@127.0.0.1:4001");
  });
  it("is happy with a public https origin", () => {
    expect(describePublicAddress("https://social.example").warnings).toEqual([]);
  });
  it("warns about http and about addresses only this machine knows", () => {
    const local = describePublicAddress("http://localhost:3000");
    expect(local.warnings.map((w) => w.code)).toEqual(["local", "http"]);
    expect(local.warnings[0].message).toMatch(/only exists on this machine/);
    expect(local.warnings[1].message).toMatch(/only talk to https:\/\/ addresses/);
    expect(local.warnings[0].message).toMatch(/MOIETY_ORIGIN/);
    for (const o of ["https://192.168.1.5", "https://10.0.0.1", "https://[::1]:3000", "https://box.local", "https://myserver"]) {
      expect(describePublicAddress(o).warnings.map((w) => w.code), o).toEqual(["local"]);
    }
    expect(describePublicAddress("http://social.example").warnings.map((w) => w.code)).toEqual(["http"]);
  });
});
