import { describe, expect, it } from "vitest";
import { generateSetupCode, hashSetupCode, normalizeSetupCode } from "@/lib/domain/setup-code";

describe("setup code", () => {
  it("has three groups of four unambiguous characters", () => {
    for (let i = 0; i < 200; i++) {
      expect(generateSetupCode()).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
    }
  });
  it("is different every time", () => {
    const codes = new Set(Array.from({ length: 1000 }, generateSetupCode));
    expect(codes.size).toBe(1000);
  });
  it("accepts what people type: case, spaces, missing dashes and look-alikes", () => {
    const code = "AB0C-1DEF-GH12";
    for (const typed of ["ab0c-1def-gh12", " AB0C 1DEF GH12 ", "ABOC-IDEF-GHl2", "AB0C1DEFGH12"]) {
      expect(hashSetupCode(typed)).toBe(hashSetupCode(code));
    }
    expect(normalizeSetupCode("ab0c-1def-gh12")).toBe("AB0C1DEFGH12");
    expect(hashSetupCode("AB0C-1DEF-GH13")).not.toBe(hashSetupCode(code));
  });
  it("stores a SHA-256 hash, not the code", () => {
    const h = hashSetupCode("AB0C-1DEF-GH12");
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(h).not.toContain("AB0C");
  });
});
