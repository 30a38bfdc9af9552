import { createOAuthAPIClient, createRestAPIClient } from "masto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "../helpers/http";
import { PASSWORD, startInstance, type Instance } from "../helpers/instances";

// masto.js 7 (the client library under Elk) against a real Moiety: it registers an app, swaps
// the owner's approval for a token (masto sends that as multipart form data), and parses the
// instance and the owner's account. A client written against Mastodon, not against these tests.

let alice: Instance;
beforeAll(async () => {
  alice = await startInstance("alice");
});
afterAll(async () => {
  await alice?.stop();
});

describe("Mastodon API with masto.js", () => {
  it("registers, logs in with the owner's approval, and reads the instance and verify_credentials", async () => {
    const anonymous = createRestAPIClient({ url: alice.url });
    const app = await anonymous.v1.apps.create({ clientName: "masto test", redirectUris: "urn:ietf:wg:oauth:2.0:oob", scopes: "read write follow push" });
    expect(app.clientId).toBeTruthy();
    expect(app.clientSecret).toBeTruthy();

    const owner = new Client(alice.url);
    expect((await owner.login("alice", PASSWORD)).ok).toBe(true);
    const query = { client_id: app.clientId!, redirect_uri: "urn:ietf:wg:oauth:2.0:oob", response_type: "code", scope: "read write follow push" };
    const approved = await owner.action(`/oauth/authorize?${new URLSearchParams(query)}`, "approveAuthorization", [query]);
    const code = new URL((approved.result as { value: string }).value, alice.url).searchParams.get("code")!;

    const oauth = createOAuthAPIClient({ url: alice.url });
    const token = await oauth.token.create({ grantType: "authorization_code", clientId: app.clientId!, clientSecret: app.clientSecret!, redirectUri: "urn:ietf:wg:oauth:2.0:oob", code, scope: "read write follow push" });
    expect(token.tokenType).toBe("Bearer");
    expect(token.scope).toBe("read write follow push");

    const masto = createRestAPIClient({ url: alice.url, accessToken: token.accessToken });
    const v2 = await masto.v2.instance.fetch();
    expect(v2.domain).toBe(new URL(alice.url).host);
    expect(v2.configuration.urls.streaming).toBe(`ws://${new URL(alice.url).host}`);
    expect(v2.configuration.statuses.maxCharacters).toBe(5000);
    const v1 = await masto.v1.instance.fetch();
    expect(v1.urls.streamingApi).toBe(`ws://${new URL(alice.url).host}`);
    const me = await masto.v1.accounts.verifyCredentials();
    expect(me).toMatchObject({ id: "1", acct: "alice", username: "alice" });
    expect(me.source.privacy).toBe("direct");
    expect(await masto.v1.customEmojis.list()).toEqual([]);
    expect(await masto.v1.lists.list()).toEqual([]);
    expect(await masto.v2.filters.list()).toEqual([]);
    expect(await masto.v1.preferences.fetch()).toMatchObject({ "posting:default:visibility": "direct" });

    await oauth.revoke({ token: token.accessToken, clientId: app.clientId!, clientSecret: app.clientSecret! });
    await expect(masto.v1.accounts.verifyCredentials()).rejects.toMatchObject({ statusCode: 401 });
  });
});
