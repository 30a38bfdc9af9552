import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInstance, type Instance } from "../helpers/instances";

// What Mastodon apps call on start (issue 13, item 2): the instance entities in the shape the
// clients' parsers need (docs/ARCHITECTURE.md, "The Mastodon client API"),
// and the start-up calls answering empty values, not 404.

let alice: Instance;
let token: string;
beforeAll(async () => {
  alice = await startInstance("alice");
  token = (await alice.json<{ token: string }>(["token", "create", "--name", "apps", "--scopes", "read write follow push"])).token;
});
afterAll(async () => {
  await alice?.stop();
});

async function get(path: string, auth = true) {
  const res = await fetch(alice.url + path, { headers: auth ? { authorization: `Bearer ${token}` } : {} });
  expect(res.headers.get("content-type"), path).toMatch(/^application\/json/);
  return { status: res.status, body: await res.json() };
}

describe("Mastodon API: instance and start-up calls", () => {
  it("GET /api/v2/instance has every field the apps require, a 4.2 version and no api_versions", async () => {
    const { status, body } = await get("/api/v2/instance", false);
    expect(status).toBe(200);
    const host = new URL(alice.url).host;
    expect(body.domain).toBe(host);
    expect(body.version).toMatch(/^4\.2\.0 \(compatible; Moiety \d+\.\d+\.\d+\)$/);
    expect(body).not.toHaveProperty("api_versions");
    expect(typeof body.title).toBe("string");
    expect(typeof body.description).toBe("string");
    expect(body.registrations).toMatchObject({ enabled: false, approval_required: false });
    expect(body.thumbnail).toHaveProperty("url");
    expect(typeof body.contact.email).toBe("string");
    const c = body.configuration;
    expect(c.urls.streaming).toBe(`ws://${host}`);
    expect(c.statuses).toMatchObject({ max_characters: 5000, max_media_attachments: 4 });
    expect(c.media_attachments).toMatchObject({ image_size_limit: 8 * 1024 * 1024, description_limit: 1500 });
    expect(c.media_attachments.supported_mime_types).toContain("image/png");
    for (const k of ["max_options", "max_characters_per_option", "min_expiration", "max_expiration"]) expect(Number.isInteger(c.polls[k])).toBe(true);
    expect(Number.isInteger(c.accounts.max_featured_tags)).toBe(true);
    expect(body.contact.account).toMatchObject({ id: "1", acct: "alice" });
  });

  it("GET /api/v1/instance: a bare-host uri, a streaming_api URL, non-null description and email, closed registrations", async () => {
    const { status, body } = await get("/api/v1/instance", false);
    expect(status).toBe(200);
    const host = new URL(alice.url).host;
    expect(body.uri).toBe(host);
    expect(body.urls.streaming_api).toBe(`ws://${host}`);
    expect(typeof body.description).toBe("string");
    expect(typeof body.email).toBe("string");
    expect(body.registrations).toBe(false);
    expect(body.version).toMatch(/^4\.2\.0 \(compatible; Moiety /);
    expect(body).not.toHaveProperty("api_versions");
    expect(Object.keys(body.stats).sort()).toEqual(["domain_count", "status_count", "user_count"]);
  });

  it("the start-up calls answer empty values with a token, and 401 without where Mastodon needs one", async () => {
    const lists = ["/api/v1/custom_emojis", "/api/v1/filters", "/api/v2/filters", "/api/v1/lists", "/api/v1/announcements", "/api/v1/trends", "/api/v1/trends/tags", "/api/v1/followed_tags"];
    for (const path of lists) expect(await get(path), path).toEqual({ status: 200, body: [] });
    expect(await get("/api/v1/markers")).toEqual({ status: 200, body: {} });
    const prefs = await get("/api/v1/preferences");
    expect(prefs.status).toBe(200);
    expect(prefs.body["posting:default:visibility"]).toBe("direct");
    expect(await get("/api/v1/custom_emojis", false)).toEqual({ status: 200, body: [] });
    for (const path of ["/api/v1/filters", "/api/v1/lists", "/api/v1/preferences", "/api/v1/markers", "/api/v1/followed_tags"]) {
      expect(await get(path, false), path).toEqual({ status: 401, body: { error: "The access token is invalid" } });
    }
  });

  it("verify_credentials gives the owner's Account with source, acct without the domain", async () => {
    const { status, body } = await get("/api/v1/accounts/verify_credentials");
    expect(status).toBe(200);
    // Not locked: "approve followers" is off until the owner turns it on in Settings (lib/api/accounts.ts).
    expect(body).toMatchObject({ id: "1", username: "alice", acct: "alice", display_name: "Alice", emojis: [], fields: [], locked: false, bot: false });
    expect(body.url).toBe(`${alice.url}/users/alice`);
    expect(body.source).toMatchObject({ privacy: "direct", note: expect.any(String), fields: [] });
    for (const k of ["avatar", "avatar_static", "header", "header_static"]) expect(() => new URL(body[k])).not.toThrow();
  });

  it("an unknown API path answers 404 as JSON, so clients' fallbacks run", async () => {
    expect(await get("/api/v1/no-such-thing")).toEqual({ status: 404, body: { error: "Record not found" } });
    expect(await get("/api/v2/no/such/thing", false)).toEqual({ status: 404, body: { error: "Record not found" } });
  });
});
