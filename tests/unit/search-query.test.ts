import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { toFtsQuery } from "@/lib/domain/search";

describe("search query", () => {
  it("quotes every word and makes the last a prefix", () => {
    expect(toFtsQuery("hello wor")).toBe('"hello" "wor"*');
    expect(toFtsQuery('say "hi" OR NOT x')).toBe('"say" """hi""" "OR" "NOT" "x"*');
    expect(toFtsQuery("   ")).toBeNull();
  });
  it("never lets input escape its quotes", () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const q = toFtsQuery(s);
        if (q === null) return;
        // Every term is a quoted string (inner quotes doubled), optionally followed by *.
        expect(q).toMatch(/^("([^"]|"")*"\*?)( "([^"]|"")*"\*?)*$/);
      }),
    );
  });
});
