import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "../helpers/http";
import { PASSWORD, startInstance, type Instance } from "../helpers/instances";

// The Mastodon client API's OAuth 2 (issue 13, item 1) through the real front server: app
// registration, the owner approving on /oauth/authorize, PKCE, tokens, scopes and revocation.

let alice: Instance;
let owner: Client;
const REDIRECT = "https://app.example/callback?x=1";
/** Every API answer the tests saw, to check they were all JSON without cookies. */
const seen: { what: string; type: string | null; cookie: string | null }[] = [];

beforeAll(async () => {
  alice = await startInstance("alice");
  owner = new Client(alice.url);
  expect((await owner.login("alice", PASSWORD)).ok).toBe(true);
});
afterAll(async () => {
  await alice?.stop();
});

async function call(method: string, path: string, opts: { token?: string; json?: unknown; form?: Record<string, string> | URLSearchParams; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(opts.json);
  } else if (opts.form) {
    headers["content-type"] = "application/x-www-form-urlencoded";
    body = new URLSearchParams(opts.form).toString();
  }
  const res = await fetch(alice.url + path, { method, headers, body, redirect: "manual" });
  seen.push({ what: `${method} ${path} ${res.status}`, type: res.headers.get("content-type"), cookie: res.headers.get("set-cookie") });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

async function registerApp(scopes = "read write follow push", redirect = REDIRECT) {
  const res = await call("POST", "/api/v1/apps", { json: { client_name: "Test App", redirect_uris: redirect, scopes, website: "https://app.example" } });
  expect(res.status).toBe(200);
  return res.body as { id: string; client_id: string; client_secret: string };
}

const pkce = () => {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, s256: createHash("sha256").update(verifier).digest("base64url") };
};

/** The owner approves on the authorize page (the page's Approve button is this server action). */
async function approve(query: Record<string, string>): Promise<URL> {
  const page = `/oauth/authorize?${new URLSearchParams(query)}`;
  const shown = await owner.get(page);
  expect(shown.status).toBe(200);
  expect(shown.body).toContain("Authorize Test App?");
  const res = await owner.action(page, "approveAuthorization", [query]);
  expect(res.status).toBe(200);
  const result = res.result as { ok: boolean; value: string };
  expect(result.ok).toBe(true);
  return new URL(result.value, alice.url);
}

async function authorizationCodeToken(scope = "read write follow push"): Promise<string> {
  const app = await registerApp();
  const { verifier, s256 } = pkce();
  const back = await approve({ client_id: app.client_id, redirect_uri: REDIRECT, response_type: "code", scope, code_challenge: s256, code_challenge_method: "S256" });
  const res = await call("POST", "/oauth/token", {
    form: { grant_type: "authorization_code", code: back.searchParams.get("code")!, client_id: app.client_id, redirect_uri: REDIRECT, code_verifier: verifier },
  });
  expect(res.status).toBe(200);
  return res.body.access_token;
}

describe("Mastodon API: OAuth", () => {
  it("registers an app from a JSON body and from a form body with bracketed arrays", async () => {
    const json = await call("POST", "/api/v1/apps", { json: { client_name: "Ice", redirect_uris: ["icecubesapp://", REDIRECT], scopes: "read write follow push" } });
    expect(json.status).toBe(200);
    expect(json.body).toMatchObject({ name: "Ice", redirect_uris: ["icecubesapp://", REDIRECT], scopes: ["read", "write", "follow", "push"] });
    for (const k of ["id", "name", "redirect_uri", "client_id", "client_secret"]) expect(typeof json.body[k]).toBe("string");
    const form = new URLSearchParams([["client_name", "Tusky"], ["redirect_uris", "oauth2redirect://com.keylesspalace.tusky/"], ["scopes", "read write"], ["website", "https://tusky.app"]]);
    const formed = await call("POST", "/api/v1/apps", { form });
    expect(formed.status).toBe(200);
    expect(formed.body).toMatchObject({ name: "Tusky", website: "https://tusky.app", redirect_uri: "oauth2redirect://com.keylesspalace.tusky/" });
    const bad = await call("POST", "/api/v1/apps", { json: { client_name: "x", redirect_uris: "not a uri", scopes: "read" } });
    expect(bad.status).toBe(422);
    expect(bad.body.error).toMatch(/redirect URI/);
    const badScope = await call("POST", "/api/v1/apps", { json: { client_name: "x", redirect_uris: REDIRECT, scopes: "read everything" } });
    expect(badScope.status).toBe(422);
    expect(badScope.body.error).toContain("everything");
  });

  it("registration is open but capped per address: the 31st app in an hour from one address gets 429, another address still registers", async () => {
    const from = (address: string) =>
      new Client(alice.url, address).request("POST", "/api/v1/apps", {
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ client_name: "spam", redirect_uris: REDIRECT, scopes: "read" }),
      });
    for (let i = 0; i < 30; i++) expect((await from("127.0.0.7")).status).toBe(200);
    const refused = await from("127.0.0.7");
    expect(refused.status).toBe(429);
    expect(refused.headers["content-type"]).toMatch(/^application\/json/);
    expect(JSON.parse(refused.body).error).toContain("Too many apps");
    expect((await from("127.0.0.8")).status).toBe(200);
  });

  it("runs the authorization-code flow with PKCE S256: the token reads verify_credentials, and the code works once", async () => {
    const app = await registerApp();
    const { verifier, s256 } = pkce();
    const query = { client_id: app.client_id, redirect_uri: REDIRECT, response_type: "code", scope: "read write follow push", state: "xyz", code_challenge: s256, code_challenge_method: "S256" };
    // Logged out, the page sends the owner to log in and back.
    const anonymous = await new Client(alice.url).get(`/oauth/authorize?${new URLSearchParams(query)}`);
    expect([303, 307]).toContain(anonymous.status);
    expect(anonymous.headers.location).toContain("/login?next=%2Foauth%2Fauthorize%3F");
    const shown = await owner.get(`/oauth/authorize?${new URLSearchParams(query)}`);
    expect(shown.body).toContain("send, edit and delete messages");
    const back = await approve(query);
    expect(back.origin + back.pathname).toBe("https://app.example/callback");
    expect(back.searchParams.get("x")).toBe("1");
    expect(back.searchParams.get("state")).toBe("xyz");
    const code = back.searchParams.get("code")!;
    // POSTed without an Origin, as apps do; JSON body.
    const res = await call("POST", "/oauth/token", { json: { grant_type: "authorization_code", code, client_id: app.client_id, client_secret: app.client_secret, redirect_uri: REDIRECT, code_verifier: verifier, scope: "read write follow push" } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token_type: "Bearer", scope: "read write follow push" });
    expect(typeof res.body.access_token).toBe("string");
    expect(Number.isInteger(res.body.created_at)).toBe(true);
    const me = await call("GET", "/api/v1/accounts/verify_credentials", { token: res.body.access_token });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: "1", username: "alice", acct: "alice", display_name: "Alice", source: { privacy: "direct" } });
    const again = await call("POST", "/oauth/token", { json: { grant_type: "authorization_code", code, client_id: app.client_id, client_secret: app.client_secret, code_verifier: verifier } });
    expect(again.status).toBe(400);
    expect(again.body.error).toBe("invalid_grant");
  });

  it("accepts plain PKCE, refuses a wrong verifier with invalid_grant, and a wrong secret with invalid_client", async () => {
    const app = await registerApp();
    const { verifier } = pkce();
    const plain = await approve({ client_id: app.client_id, redirect_uri: REDIRECT, scope: "read", code_challenge: verifier, code_challenge_method: "plain" });
    const ok = await call("POST", "/oauth/token", { form: { grant_type: "authorization_code", code: plain.searchParams.get("code")!, client_id: app.client_id, code_verifier: verifier } });
    expect(ok.status).toBe(200);
    expect(ok.body.scope).toBe("read");
    const s = pkce();
    const wrong = await approve({ client_id: app.client_id, redirect_uri: REDIRECT, scope: "read", code_challenge: s.s256, code_challenge_method: "S256" });
    const refused = await call("POST", "/oauth/token", { form: { grant_type: "authorization_code", code: wrong.searchParams.get("code")!, client_id: app.client_id, code_verifier: pkce().verifier } });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe("invalid_grant");
    const noPkce = await approve({ client_id: app.client_id, redirect_uri: REDIRECT, scope: "read" });
    const badSecret = await call("POST", "/oauth/token", { form: { grant_type: "authorization_code", code: noPkce.searchParams.get("code")!, client_id: app.client_id, client_secret: "wrong" } });
    expect(badSecret.status).toBe(401);
    expect(badSecret.body.error).toBe("invalid_client");
  });

  it("refuses a redirect URI that differs by one byte, and shows the code for the out-of-band URI", async () => {
    const app = await registerApp("read", "urn:ietf:wg:oauth:2.0:oob");
    const other = await owner.get(`/oauth/authorize?${new URLSearchParams({ client_id: app.client_id, redirect_uri: "urn:ietf:wg:oauth:2.0:oob ", scope: "read" })}`);
    expect(other.body).toContain("The redirect URI is not one the app registered.");
    const denied = await owner.action("/oauth/authorize", "approveAuthorization", [{ client_id: app.client_id, redirect_uri: `${REDIRECT}/`, scope: "read" }]);
    expect(denied.result).toMatchObject({ ok: false });
    const oob = await approve({ client_id: app.client_id, redirect_uri: "urn:ietf:wg:oauth:2.0:oob", scope: "read" });
    expect(oob.pathname).toBe("/oauth/authorize/native");
    const code = oob.searchParams.get("code")!;
    expect((await owner.get(oob.pathname + oob.search)).body).toContain(code);
    const res = await call("POST", "/oauth/token", { form: { grant_type: "authorization_code", code, client_id: app.client_id, client_secret: app.client_secret, redirect_uri: "urn:ietf:wg:oauth:2.0:oob" } });
    expect(res.status).toBe(200);
  });

  it("after logging in, the login page returns to the authorization request, and never to another site", async () => {
    const back = "/oauth/authorize?client_id=abc&scope=read";
    const res = await owner.get(`/login?next=${encodeURIComponent(back)}`);
    expect(res.status).toBe(307);
    expect(res.headers.location).toBe(back);
    for (const next of ["https://evil.example/", "//evil.example/oauth/authorize?", "/settings"]) {
      const other = await owner.get(`/login?next=${encodeURIComponent(next)}`);
      expect(other.headers.location, next).toBe("/messages");
    }
  });

  it("Deny sends the app back with error=access_denied and the state, and grants nothing", async () => {
    const app = await registerApp();
    const query = { client_id: app.client_id, redirect_uri: REDIRECT, scope: "read", state: "st" };
    const res = await owner.action(`/oauth/authorize?${new URLSearchParams(query)}`, "denyAuthorization", [query]);
    const back = new URL((res.result as { value: string }).value);
    expect(back.searchParams.get("error")).toBe("access_denied");
    expect(back.searchParams.get("state")).toBe("st");
    expect(back.searchParams.get("code")).toBeNull();
  });

  it("approving is an owner action: without a session or from another site it is refused", async () => {
    const app = await registerApp();
    const query = { client_id: app.client_id, redirect_uri: REDIRECT, scope: "read" };
    const stranger = await new Client(alice.url).action("/oauth/authorize", "approveAuthorization", [query]);
    expect(stranger.result).toBeNull();
    expect(stranger.redirect).toContain("/login");
    const crossSite = await owner.action("/oauth/authorize", "approveAuthorization", [query], "https://evil.example");
    expect(crossSite.status).toBe(403);
  });

  it("client_credentials gives an app token that is not the owner's", async () => {
    const app = await registerApp();
    const res = await call("POST", "/oauth/token", { form: { grant_type: "client_credentials", client_id: app.client_id, client_secret: app.client_secret, scope: "read" } });
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe("read");
    const me = await call("GET", "/api/v1/accounts/verify_credentials", { token: res.body.access_token });
    expect(me.status).toBe(422);
    const bad = await call("POST", "/oauth/token", { form: { grant_type: "client_credentials", client_id: app.client_id, client_secret: "nope" } });
    expect(bad.body.error).toBe("invalid_client");
  });

  it("no token, a made-up token and a revoked token get 401 JSON; revoking needs the app's credentials", async () => {
    const none = await call("GET", "/api/v1/accounts/verify_credentials");
    expect(none).toMatchObject({ status: 401, body: { error: "The access token is invalid" } });
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer error="invalid_token"/);
    expect((await call("GET", "/api/v1/accounts/verify_credentials", { token: "made-up" })).status).toBe(401);
    const app = await registerApp();
    const back = await approve({ client_id: app.client_id, redirect_uri: REDIRECT, scope: "read" });
    const { body } = await call("POST", "/oauth/token", { form: { grant_type: "authorization_code", code: back.searchParams.get("code")!, client_id: app.client_id, client_secret: app.client_secret } });
    const token = body.access_token as string;
    expect((await call("GET", "/api/v1/accounts/verify_credentials", { token })).status).toBe(200);
    const stranger = await registerApp();
    const foreign = await call("POST", "/oauth/revoke", { form: { token, client_id: stranger.client_id, client_secret: stranger.client_secret } });
    expect(foreign).toMatchObject({ status: 200, body: {} });
    expect((await call("GET", "/api/v1/accounts/verify_credentials", { token })).status).toBe(200);
    const revoked = await call("POST", "/oauth/revoke", { form: { token, client_id: app.client_id, client_secret: app.client_secret } });
    expect(revoked).toMatchObject({ status: 200, body: {} });
    expect(await call("GET", "/api/v1/accounts/verify_credentials", { token })).toMatchObject({ status: 401, body: { error: "The access token is invalid" } });
  });

  it("a token reaches only what its scopes grant: write-only cannot read, read:statuses cannot see the profile", async () => {
    const writeOnly = (await alice.json<{ token: string }>(["token", "create", "--name", "writer", "--scopes", "write"])).token;
    expect((await call("GET", "/api/v1/lists", { token: writeOnly })).status).toBe(403);
    expect((await call("GET", "/api/v1/markers", { token: writeOnly })).status).toBe(403);
    expect((await call("POST", "/api/v1/markers", { token: writeOnly, json: {} })).status).toBe(200);
    const statuses = (await alice.json<{ token: string }>(["token", "create", "--name", "statuses", "--scopes", "read:statuses"])).token;
    expect((await call("GET", "/api/v1/markers", { token: statuses })).status).toBe(200);
    const me = await call("GET", "/api/v1/accounts/verify_credentials", { token: statuses });
    expect(me.status).toBe(403);
    expect(me.body.error).toMatch(/scope/);
    const read = await authorizationCodeToken("read");
    expect((await call("GET", "/api/v1/lists", { token: read })).status).toBe(200);
    expect((await call("POST", "/api/v1/markers", { token: read, json: {} })).status).toBe(403);
  });

  it("publishes the authorization server metadata as Mastodon 4.3 does", async () => {
    const res = await call("GET", "/.well-known/oauth-authorization-server");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      issuer: `${alice.url}/`,
      authorization_endpoint: `${alice.url}/oauth/authorize`,
      token_endpoint: `${alice.url}/oauth/token`,
      revocation_endpoint: `${alice.url}/oauth/revoke`,
      app_registration_endpoint: `${alice.url}/api/v1/apps`,
      response_types_supported: ["code"],
      code_challenge_methods_supported: ["S256"],
      grant_types_supported: ["authorization_code", "client_credentials"],
    });
    expect(res.body.scopes_supported).toEqual(expect.arrayContaining(["read", "write", "follow", "push", "read:statuses", "write:statuses"]));
    expect(res.body.token_endpoint_auth_methods_supported).toContain("client_secret_post");
  });

  it("answers CORS preflights for the API and the token endpoints", async () => {
    for (const path of ["/api/v1/accounts/verify_credentials", "/oauth/token", "/oauth/revoke", "/api/v2/instance"]) {
      const res = await fetch(alice.url + path, {
        method: "OPTIONS",
        headers: { origin: "https://elk.example", "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type, idempotency-key" },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get("access-control-allow-origin")).toBe("*");
      expect(res.headers.get("access-control-allow-headers")).toMatch(/Authorization, Content-Type, Idempotency-Key/);
      expect(res.headers.get("access-control-expose-headers")).toBe("Link");
    }
    const real = await call("GET", "/api/v1/instance", { headers: { origin: "https://elk.example" } });
    expect(real.headers.get("access-control-allow-origin")).toBe("*");
  });

  it("the front lets apps POST /oauth/token and /oauth/revoke without an Origin, but still refuses such POSTs to pages", async () => {
    const token = await call("POST", "/oauth/token", { form: { grant_type: "password" } });
    expect(token).toMatchObject({ status: 400, body: { error: "unsupported_grant_type" } });
    const revoke = await call("POST", "/oauth/revoke", { form: { token: "x", client_id: "nope" } });
    expect(revoke.status).toBe(403);
    expect(revoke.body.error).toBe("unauthorized_client");
    const page = await fetch(`${alice.url}/oauth/authorize`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "a=1" });
    expect(page.status).toBe(403);
    await page.text();
  });

  it("moiety token create/list/revoke: the token works until revoked", async () => {
    const made = await alice.json<{ id: number; token: string; scopes: string[] }>(["token", "create", "--name", "script", "--scopes", "read write follow push"]);
    expect(made.scopes).toEqual(["read", "write", "follow", "push"]);
    expect((await call("GET", "/api/v1/accounts/verify_credentials", { token: made.token })).status).toBe(200);
    const listed = await alice.json<{ id: number; name: string; lastUsedAt: string | null }[]>(["token", "list"]);
    const row = listed.find((t) => t.id === made.id)!;
    expect(row.name).toBe("script");
    expect(row.lastUsedAt).not.toBeNull();
    expect(JSON.stringify(listed)).not.toContain(made.token);
    const revoked = await alice.cli(["token", "revoke", String(made.id)]);
    expect(revoked.code).toBe(0);
    expect((await call("GET", "/api/v1/accounts/verify_credentials", { token: made.token })).status).toBe(401);
    expect((await alice.cli(["token", "revoke", String(made.id)])).stderr).toContain("no live token");
    const bad = await alice.cli(["token", "create", "--name", "x", "--scopes", "read all"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("Unknown scope: all");
  });

  it("Settings → Apps lists the authorized apps with their last use, and Revoke refuses the token at once", async () => {
    const made = await alice.json<{ id: number; token: string }>(["token", "create", "--name", "phone-script", "--scopes", "read"]);
    expect((await call("GET", "/api/v1/lists", { token: made.token })).status).toBe(200);
    const settings = await owner.get("/settings");
    expect(settings.body).toContain("phone-script (token)");
    expect(settings.body).toContain("Test App");
    const res = await owner.action("/settings", "revokeTokenAction", [made.id]);
    expect(res.result).toEqual({ ok: true });
    expect((await call("GET", "/api/v1/lists", { token: made.token })).status).toBe(401);
    const stranger = await new Client(alice.url).action("/settings", "revokeTokenAction", [1]);
    expect(stranger.result).toBeNull();
  });

  it("every API answer above was application/json and set no cookie", () => {
    expect(seen.length).toBeGreaterThan(40);
    for (const s of seen) {
      expect(s.type, s.what).toMatch(/^application\/json/);
      expect(s.cookie, s.what).toBeNull();
    }
  });
});
