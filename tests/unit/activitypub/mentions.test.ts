import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { mentionTag, mentionTags, normalizeHandle, parseHandleInput, parseMentions } from "@/lib/activitypub/mentions";

const handles = (text: string) => parseMentions(text).map((m) => m.handle);

describe("parseMentions", () => {
  it("finds handles with their position", () => {
    const text = "hi @bob@example.com and @carol_1@gts.example!";
    const found = parseMentions(text);
    expect(found.map((m) => m.handle)).toEqual(["@bob@example.com", "@carol_1@gts.example"]);
    expect(found[0]).toMatchObject({ user: "bob", host: "example.com", index: 3, length: 16 });
    expect(text.slice(found[1].index, found[1].index + found[1].length)).toBe("@carol_1@gts.example");
  });

  it("lowercases the host but keeps the user's case", () => {
    expect(handles("@Bob@Example.COM")).toEqual(["@Bob@example.com"]);
  });

  it("allows dots and dashes inside user names", () => {
    expect(handles("@first.last-x@example.com")).toEqual(["@first.last-x@example.com"]);
  });

  it("keeps a port, for test instances on one machine", () => {
    expect(handles("ping @bob@127.0.0.1:4001 now")).toEqual(["@bob@127.0.0.1:4001"]);
    expect(handles("@bob@localhost:3000")).toEqual(["@bob@localhost:3000"]);
  });

  it("leaves sentence punctuation out of the host", () => {
    expect(handles("ask @bob@example.com.")).toEqual(["@bob@example.com"]);
    expect(handles("(@bob@example.com), @c@d.example: @e@f.example;")).toEqual([
      "@bob@example.com",
      "@c@d.example",
      "@e@f.example",
    ]);
    expect(handles("@bob@example.com's idea")).toEqual(["@bob@example.com"]);
  });

  it("ignores e-mail addresses, URLs and local-only @names", () => {
    expect(handles("mail me at bob@example.com")).toEqual([]);
    expect(handles("alice@bob@example.com")).toEqual([]);
    expect(handles("https://mastodon.example/@bob@example.com")).toEqual([]);
    expect(handles("hey @bob, how are you")).toEqual([]);
    expect(handles("a=@bob@example.com")).toEqual([]);
  });

  it("does not link a truncated host", () => {
    expect(handles("@bob@münchen.de")).toEqual([]);
    expect(handles("@bob@example.cöm")).toEqual([]);
    expect(handles("@bob@example.com:123456")).toEqual([]);
    expect(handles("@bob@example.com:70000")).toEqual([]);
    expect(handles("@bob@ex-.com")).toEqual([]);
    expect(handles(`@bob@${"a".repeat(64)}.com`)).toEqual([]);
  });

  it("does not treat a user name ending in a dot as a handle", () => {
    expect(handles("@bob.@example.com")).toEqual([]);
  });

  it("finds every handle it is given, whatever surrounds it", () => {
    const user = fc.stringMatching(/^[a-z0-9_](?:[a-z0-9_.-]{0,10}[a-z0-9_])?$/);
    const host = fc.domain();
    const filler = fc.constantFrom(" ", "\n", "(", ") ", ", ", "hello ", " :) ");
    fc.assert(
      fc.property(fc.array(fc.tuple(filler, user, host), { minLength: 1, maxLength: 4 }), (parts) => {
        const text = parts.map(([f, u, h]) => `${f}@${u}@${h}`).join(" ");
        expect(handles(text)).toEqual(parts.map(([, u, h]) => `@${u}@${h.toLowerCase()}`));
      }),
    );
  });

  it("is fast on long hostile input", () => {
    const text = `@${"a.".repeat(20_000)}@${"b.".repeat(20_000)}!` + "@x@".repeat(10_000);
    const started = performance.now();
    parseMentions(text);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe("normalizeHandle", () => {
  it("accepts the usual spellings", () => {
    expect(normalizeHandle("@bob@Example.com")).toBe("@bob@example.com");
    expect(normalizeHandle("bob@example.com")).toBe("@bob@example.com");
    expect(normalizeHandle("acct:bob@example.com")).toBe("@bob@example.com");
  });

  it("answers undefined for non-handles", () => {
    expect(normalizeHandle("bob")).toBeUndefined();
    expect(normalizeHandle("https://example.com/users/bob")).toBeUndefined();
  });
});

describe("mention tags", () => {
  it("builds the Mention tag Mastodon needs", () => {
    expect(mentionTag("bob@Example.com", "https://example.com/users/bob")).toEqual({
      type: "Mention",
      href: "https://example.com/users/bob",
      name: "@bob@example.com",
    });
  });

  it("refuses a bad handle or actor URL", () => {
    expect(() => mentionTag("bob", "https://example.com/users/bob")).toThrow(/handle/);
    expect(() => mentionTag("@bob@example.com", "javascript:alert(1)")).toThrow(/actor URL/);
  });

  it("builds one tag per distinct actor", () => {
    const tags = mentionTags([
      { handle: "@bob@example.com", actorId: "https://example.com/users/bob" },
      { handle: "@carol@gts.example", actorId: "https://gts.example/users/carol" },
      { handle: "@Bob@example.com", actorId: "https://example.com/users/bob" },
    ]);
    expect(tags.map((t) => t.name)).toEqual(["@bob@example.com", "@carol@gts.example"]);
  });
});

describe("parseHandleInput", () => {
  it.each([
    ["@bob@example.com", "@bob@example.com"],
    ["bob@example.com", "@bob@example.com"],
    ["  @bob@EXAMPLE.com  ", "@bob@example.com"],
    ["acct:bob@example.com", "@bob@example.com"],
    ["@bob@example.com.", "@bob@example.com"],
    ["@bob@127.0.0.1:4001", "@bob@127.0.0.1:4001"],
    ["@Bob_2.x@sub.example.co.uk", "@Bob_2.x@sub.example.co.uk"],
  ])("reads %j as a handle", (input, handle) => {
    const parsed = parseHandleInput(input);
    expect(parsed.kind).toBe("handle");
    if (parsed.kind === "handle") {
      expect(parsed.handle).toBe(handle);
      expect(`@${parsed.user}@${parsed.host}`).toBe(handle);
    }
  });

  it.each([
    ["https://example.com/users/bob", "https://example.com/users/bob"],
    ["https://Example.com/@bob", "https://example.com/@bob"],
    ["http://127.0.0.1:4001/users/bob", "http://127.0.0.1:4001/users/bob"],
  ])("reads %j as an actor URL", (input, url) => {
    expect(parseHandleInput(input)).toEqual({ kind: "url", url });
  });

  it.each([
    ["", /Enter a handle/],
    ["   ", /Enter a handle/],
    ["@bob", /Add the server.*@bob@example\.com/],
    ["bob", /Add the server/],
    ["@bob@", /server after the name is missing/],
    ["@@example.com", /name before the server is missing/],
    ["@bob@example.com@else.example", /only one @/],
    ["@b!ob@example.com", /"b!ob" is not a valid user name/],
    ["@.bob@example.com", /not a valid user name/],
    ["@bob@exa_mple.com", /"exa_mple\.com" is not a valid server name/],
    ["@bob@example.com:99999", /not a valid server name/],
    ["@bob@-example.com", /not a valid server name/],
    ["bob @example.com", /spaces/],
    ["ftp://example.com/users/bob", /Only https:\/\//],
    ["https://user:pw@example.com/users/bob", /user name or password/],
    ["https://example.com/", /server's address/],
    ["https://exa mple.com/users/bob", /spaces/],
    ["https://[::1/users/bob", /not a valid URL/],
    ["x".repeat(3000), /too long/],
  ])("rejects %j with a clear message", (input, message) => {
    const parsed = parseHandleInput(input);
    expect(parsed.kind).toBe("invalid");
    if (parsed.kind === "invalid") expect(parsed.error).toMatch(message);
  });

  it("never throws, and every answer is one of the three kinds", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (input) => {
        const parsed = parseHandleInput(input);
        expect(["handle", "url", "invalid"]).toContain(parsed.kind);
        if (parsed.kind === "invalid") expect(parsed.error.length).toBeGreaterThan(0);
      }),
    );
  });
});
