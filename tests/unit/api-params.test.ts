import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { list, readParams, str } from "../../lib/api/params";
import { grants, parseScopes, unknownScopes } from "../../lib/api/scopes";
import { pkceMatches } from "../../lib/api/tokens";

// Parameters of the Mastodon client API arrive as JSON, form fields or the query string alike.

const post = (type: string, body: string, query = "") => new Request(`http://x.test/api/v1/x${query}`, { method: "POST", headers: { "content-type": type }, body });

describe("API parameters", () => {
  it("reads form fields with bracketed arrays and nested keys", async () => {
    const p = await readParams(post("application/x-www-form-urlencoded", "types[]=mention&types[]=follow&data[alerts][mention]=true&limit=5"));
    expect(list(p, "types")).toEqual(["mention", "follow"]);
    expect(p.data).toEqual({ alerts: { mention: "true" } });
    expect(str(p, "limit")).toBe("5");
  });

  it("reads the query string, and a JSON body over it", async () => {
    const p = await readParams(post("application/json; charset=utf-8", JSON.stringify({ scopes: "read write", limit: 3 }), "?exclude_types[]=follow&limit=9"));
    expect(list(p, "exclude_types")).toEqual(["follow"]);
    expect(str(p, "limit")).toBe("3");
    expect(list(p, "scopes")).toEqual(["read", "write"]);
    const get = await readParams(new Request("http://x.test/api?types[]=a&max_id=7"));
    expect(get).toEqual({ types: ["a"], max_id: "7" });
  });

  it("reads multipart forms, and says plainly when JSON is broken", async () => {
    const form = new FormData();
    form.append("client_name", "App");
    form.append("scopes", "read");
    const p = await readParams(new Request("http://x.test/api/v1/apps", { method: "POST", body: form }));
    expect(p).toMatchObject({ client_name: "App", scopes: "read" });
    await expect(readParams(post("application/json", "{nope"))).rejects.toThrow("not valid JSON");
  });
});

describe("scopes", () => {
  it("read covers every read:* but not write:*; follow covers the follow scopes", () => {
    expect(grants(["read"], "read:statuses")).toBe(true);
    expect(grants(["read"], "write:statuses")).toBe(false);
    expect(grants(["write"], "read:lists")).toBe(false);
    expect(grants(["write:statuses"], "write:statuses")).toBe(true);
    expect(grants(["follow"], "write:follows")).toBe(true);
    expect(grants(["read:accounts"], "profile")).toBe(true);
    expect(grants(["read:statuses"], "profile")).toBe(false);
  });

  it("parses space- and plus-separated scopes and names the unknown ones", () => {
    expect(parseScopes("read+write  follow")).toEqual(["read", "write", "follow"]);
    expect(unknownScopes(["read", "admin:read", "delete:everything"])).toEqual(["delete:everything"]);
  });

  it("checks PKCE S256 and plain", () => {
    const verifier = "a".repeat(43);
    expect(pkceMatches(verifier, verifier, "plain")).toBe(true);
    const s256 = createHash("sha256").update(verifier).digest("base64url");
    expect(pkceMatches(verifier, s256, "S256")).toBe(true);
    expect(pkceMatches("b".repeat(43), s256, "S256")).toBe(false);
    expect(pkceMatches(verifier, verifier, "S256")).toBe(false);
    expect(pkceMatches("short", "short", "plain")).toBe(false);
  });
});
