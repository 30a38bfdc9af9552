import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { asArray, hasType, hrefOf, idOf, idsOf, isHttpUrl, isObject, stringOf, typesOf } from "@/lib/activitypub/values";

describe("asArray", () => {
  it("wraps a scalar, keeps an array, and treats null/undefined as empty", () => {
    expect(asArray("a")).toEqual(["a"]);
    expect(asArray(["a", "b"])).toEqual(["a", "b"]);
    expect(asArray(null)).toEqual([]);
    expect(asArray(undefined)).toEqual([]);
    expect(asArray({ id: "x" })).toEqual([{ id: "x" }]);
  });

  it("drops null entries inside an array", () => {
    expect(asArray(["a", null, "b", undefined])).toEqual(["a", "b"]);
  });

  it("never returns a nested array for a scalar input", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.integer(), fc.boolean()), (v) => {
        expect(asArray(v)).toEqual([v]);
      }),
    );
  });
});

describe("idOf / idsOf / hrefOf", () => {
  it("reads a bare IRI or an embedded object's id", () => {
    expect(idOf("https://a.example/users/x")).toBe("https://a.example/users/x");
    expect(idOf({ id: "https://a.example/users/x", type: "Person" })).toBe("https://a.example/users/x");
  });

  it("falls back to href for a Link/Mention without id", () => {
    expect(idOf({ type: "Mention", href: "https://a.example/users/x" })).toBe("https://a.example/users/x");
  });

  it("answers undefined for unusable values", () => {
    expect(idOf("")).toBeUndefined();
    expect(idOf(null)).toBeUndefined();
    expect(idOf(42)).toBeUndefined();
    expect(idOf({ id: 42 })).toBeUndefined();
    expect(idOf(["https://a.example/x"])).toBeUndefined();
  });

  it("idsOf flattens scalar-or-array of strings and objects, skipping junk", () => {
    expect(idsOf("https://a.example/1")).toEqual(["https://a.example/1"]);
    expect(idsOf(["https://a.example/1", { id: "https://a.example/2" }, 7, null, { name: "x" }])).toEqual([
      "https://a.example/1",
      "https://a.example/2",
    ]);
    expect(idsOf(undefined)).toEqual([]);
  });

  it("hrefOf prefers a Link's href over its own id", () => {
    expect(hrefOf({ type: "Link", id: "https://a.example/link/1", href: "https://cdn.example/f.png" })).toBe(
      "https://cdn.example/f.png",
    );
    expect(hrefOf("https://cdn.example/f.png")).toBe("https://cdn.example/f.png");
    expect(hrefOf({ id: "https://a.example/o" })).toBe("https://a.example/o");
    expect(hrefOf({})).toBeUndefined();
  });
});

describe("types and small readers", () => {
  it("typesOf reads a single type or a list", () => {
    expect(typesOf({ type: "Note" })).toEqual(["Note"]);
    expect(typesOf({ type: ["Note", "ex:Thing"] })).toEqual(["Note", "ex:Thing"]);
    expect(typesOf("Note")).toEqual([]);
  });

  it("hasType ignores the as: prefix and matches any listed type", () => {
    expect(hasType({ type: "as:Note" }, "Note")).toBe(true);
    expect(hasType({ type: ["Document", "Image"] }, "Image", "Video")).toBe(true);
    expect(hasType({ type: "Person" }, "Note")).toBe(false);
    expect(hasType(null, "Note")).toBe(false);
  });

  it("stringOf and isObject", () => {
    expect(stringOf("x")).toBe("x");
    expect(stringOf("")).toBeUndefined();
    expect(stringOf(1)).toBeUndefined();
    expect(isObject({})).toBe(true);
    expect(isObject([])).toBe(false);
    expect(isObject(null)).toBe(false);
  });

  it("isHttpUrl accepts only absolute http(s) URLs", () => {
    expect(isHttpUrl("https://a.example/users/x")).toBe(true);
    expect(isHttpUrl("http://127.0.0.1:4001/users/x")).toBe(true);
    expect(isHttpUrl("ftp://a.example/x")).toBe(false);
    expect(isHttpUrl("javascript:alert(1)")).toBe(false);
    expect(isHttpUrl("/users/x")).toBe(false);
    expect(isHttpUrl(undefined)).toBe(false);
  });
});
