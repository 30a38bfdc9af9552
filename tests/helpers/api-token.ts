import { Client } from "./http";
import { PASSWORD, type Instance } from "./instances";

// An access token for the Mastodon API the way an app gets one: register an
// app, the owner approves it in their logged-in browser session, the code is
// swapped for a token. Plain HTTP, no CLI start (which costs seconds).

export async function apiToken(instance: Instance, scopes = "read write follow push"): Promise<string> {
  const redirect = "urn:ietf:wg:oauth:2.0:oob";
  const registered = await fetch(`${instance.url}/api/v1/apps`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ client_name: `test app (${scopes})`, redirect_uris: redirect, scopes }),
  });
  if (!registered.ok) throw new Error(`app registration failed: ${registered.status} ${await registered.text()}`);
  const app = (await registered.json()) as { client_id: string; client_secret: string };
  const owner = new Client(instance.url);
  if (!(await owner.login(instance.username, PASSWORD)).ok) throw new Error("owner login failed");
  const query = { client_id: app.client_id, redirect_uri: redirect, response_type: "code", scope: scopes };
  const approved = await owner.action(`/oauth/authorize?${new URLSearchParams(query)}`, "approveAuthorization", [query]);
  const code = new URL((approved.result as { value: string }).value, instance.url).searchParams.get("code");
  if (!code) throw new Error(`no code in the approval: ${JSON.stringify(approved.result)}`);
  const token = await fetch(`${instance.url}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ grant_type: "authorization_code", client_id: app.client_id, client_secret: app.client_secret, redirect_uri: redirect, code }),
  });
  if (!token.ok) throw new Error(`token exchange failed: ${token.status} ${await token.text()}`);
  return ((await token.json()) as { access_token: string }).access_token;
}

/** fetch against the API with a bearer token; JSON bodies are sent as JSON. */
export function apiFetch(instance: Instance, token: string | null) {
  return async (path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) => {
    const headers: Record<string, string> = { ...(token ? { authorization: `Bearer ${token}` } : {}), ...init.headers };
    let body: BodyInit | undefined;
    if (init.body instanceof FormData || typeof init.body === "string") body = init.body as BodyInit;
    else if (init.body !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(init.body);
    }
    const response = await fetch(`${instance.url}${path}`, { method: init.method ?? (body ? "POST" : "GET"), headers, body });
    const text = await response.text();
    let json: any = undefined;
    try {
      json = JSON.parse(text);
    } catch {
      // not JSON: the test sees `json` undefined and `text`
    }
    return { status: response.status, headers: response.headers, json, text };
  };
}
