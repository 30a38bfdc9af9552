import { createHash, randomBytes } from "node:crypto";
import { expect, test } from "@playwright/test";
import { PASSWORD, startInstance, type Instance } from "../helpers/instances";
import { expectAccessible, shot } from "./browser";

// A Mastodon app's login in Chromium (issue 13, item 1): the app opens /oauth/authorize, the
// owner logs in, lands back on the approve page, approves, and the browser goes to the app's
// redirect URI with the code, which the app swaps for a token with its PKCE verifier.

const REDIRECT = "https://app.example/callback";
let alice: Instance;
test.beforeAll(async () => {
  alice = await startInstance("alice");
});
test.afterAll(async () => {
  await alice?.stop();
});

test("log in, approve an app, and its code becomes a working token", async ({ page }) => {
  const app = await (
    await fetch(`${alice.url}/api/v1/apps`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ client_name: "Pocket Client", redirect_uris: REDIRECT, scopes: "read write follow push", website: "https://app.example" }),
    })
  ).json();
  const verifier = randomBytes(32).toString("base64url");
  const challenge = createHash("sha256").update(verifier).digest("base64url");
  // The app's side of the redirect, answered inside the browser (no network leaves loopback).
  await page.route("https://app.example/**", (route) => route.fulfill({ status: 200, contentType: "text/plain", body: "app" }));

  const query = new URLSearchParams({ client_id: app.client_id, redirect_uri: REDIRECT, response_type: "code", scope: "read write follow push", state: "s1", code_challenge: challenge, code_challenge_method: "S256", force_login: "false", lang: "en" });
  await page.goto(`${alice.url}/oauth/authorize?${query}`);
  await expect(page).toHaveURL(/\/login\?next=/);
  await page.getByLabel("Username").fill("alice");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();

  await expect(page.getByRole("heading", { name: "Authorize Pocket Client?" })).toBeVisible();
  await expect(page.getByRole("list", { name: "What the app may do" })).toContainText("send, edit and delete messages");
  await expectAccessible(page, "authorize");
  await shot(page, "oauth-authorize");
  await page.getByRole("button", { name: "Approve Pocket Client" }).click();
  await page.waitForURL(/^https:\/\/app\.example\/callback\?/);
  const back = new URL(page.url());
  expect(back.searchParams.get("state")).toBe("s1");

  const token = await (
    await fetch(`${alice.url}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "authorization_code", code: back.searchParams.get("code")!, client_id: app.client_id, redirect_uri: REDIRECT, code_verifier: verifier }).toString(),
    })
  ).json();
  expect(token.token_type).toBe("Bearer");
  const me = await fetch(`${alice.url}/api/v1/accounts/verify_credentials`, { headers: { authorization: `Bearer ${token.access_token}` } });
  expect(me.status).toBe(200);
  expect((await me.json()).acct).toBe("alice");

  // Settings → Apps now lists it.
  await page.goto(`${alice.url}/settings`);
  await expect(page.getByRole("list", { name: "Authorized apps" })).toContainText("Pocket Client");
});
