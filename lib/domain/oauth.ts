import { db } from "../db";
import { newSecret, pkceMatches, sameSecret, sha256 } from "../api/tokens";
import { parseScopes, unknownScopes } from "../api/scopes";

// OAuth 2 for Mastodon client apps (issue 13, item 1): app registration, authorization codes the
// owner grants, and access tokens. Codes and tokens are stored as sha256 hashes only.

export const OOB_REDIRECT = "urn:ietf:wg:oauth:2.0:oob";
const CODE_LIFETIME_MS = 10 * 60_000;
/** lastUsedAt is written at most this often, so a request costs a read, not a write. */
const LAST_USED_EVERY_MS = 60_000;
const NAME_MAX = 200;
/** Registration is open to anyone: an address (IPv6: its /64) may register this many apps an hour. */
export const APPS_PER_HOUR = 30;
/** Apps never authorized are forgotten after a day. */
const UNUSED_APP_MS = 24 * 60 * 60_000;
const URI_MAX = 2000;

/** A refused OAuth request: `code` is the RFC 6749 error code, `message` the plain-words reason. */
export class OAuthError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}


function checkRedirectUri(uri: string): void {
  if (uri === OOB_REDIRECT) return;
  if (uri.length > URI_MAX) throw new OAuthError("invalid_request", `A redirect URI has at most ${URI_MAX} characters.`, 422);
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new OAuthError("invalid_request", `The redirect URI "${uri}" is not an absolute URI.`, 422);
  }
  if (url.hash) throw new OAuthError("invalid_request", "A redirect URI cannot have a #fragment.", 422);
  if (/^(javascript|data|vbscript|file):$/i.test(url.protocol)) throw new OAuthError("invalid_request", `A redirect URI cannot use ${url.protocol}.`, 422);
}

export async function registerApp(input: { name?: string; redirectUris?: string[]; scopes?: string[]; website?: string; bucket: string }) {
  const name = input.name?.trim();
  if (!name) throw new OAuthError("invalid_request", "Give the app a name (client_name).", 422);
  if (name.length > NAME_MAX) throw new OAuthError("invalid_request", `An app name has at most ${NAME_MAX} characters.`, 422);
  const redirectUris = input.redirectUris ?? [];
  if (redirectUris.length === 0) throw new OAuthError("invalid_request", "Give at least one redirect URI (redirect_uris).", 422);
  if (redirectUris.length > 20) throw new OAuthError("invalid_request", "An app has at most 20 redirect URIs.", 422);
  redirectUris.forEach(checkRedirectUri);
  const scopes = input.scopes && input.scopes.length > 0 ? input.scopes : ["read"];
  const unknown = unknownScopes(scopes);
  if (unknown.length) throw new OAuthError("invalid_scope", `Unknown scope: ${unknown.join(", ")}.`, 422);
  const website = input.website?.trim() || null;
  if (website && (website.length > URI_MAX || !/^https?:\/\//i.test(website))) throw new OAuthError("invalid_request", "The website must be an http(s) address.", 422);
  const now = Date.now();
  await db().oAuthApp.deleteMany({ where: { createdAt: { lt: new Date(now - UNUSED_APP_MS) }, tokens: { none: {} }, codes: { none: {} } } });
  const recent = await db().oAuthApp.count({ where: { bucket: input.bucket, createdAt: { gt: new Date(now - 60 * 60_000) } } });
  if (recent >= APPS_PER_HOUR) throw new OAuthError("slow_down", `Too many apps were registered from your address in the last hour (at most ${APPS_PER_HOUR}); try again later.`, 429);
  return db().oAuthApp.create({
    data: { clientId: newSecret(), clientSecret: newSecret(), name, redirectUris: redirectUris.join("\n"), scopes: scopes.join(" "), website, bucket: input.bucket },
  });
}

export function findApp(clientId: string | undefined) {
  if (!clientId) return Promise.resolve(null);
  return db().oAuthApp.findUnique({ where: { clientId } });
}

export const appRedirectUris = (app: { redirectUris: string }) => app.redirectUris.split("\n");

export type AuthorizeRequest = {
  client_id?: string;
  redirect_uri?: string;
  response_type?: string;
  scope?: string;
  state?: string;
  code_challenge?: string;
  code_challenge_method?: string;
};

/** Check an /oauth/authorize request; the app and the scopes it would get. */
export async function checkAuthorizeRequest(req: AuthorizeRequest) {
  const app = await findApp(req.client_id);
  if (!app) throw new OAuthError("invalid_client", "No app is registered with this client_id. Register the app again.");
  const redirectUri = req.redirect_uri ?? (appRedirectUris(app).length === 1 ? appRedirectUris(app)[0] : undefined);
  if (!redirectUri || !appRedirectUris(app).includes(redirectUri))
    throw new OAuthError("invalid_redirect_uri", "The redirect URI is not one the app registered.");
  if ((req.response_type ?? "code") !== "code") throw new OAuthError("unsupported_response_type", "Only response_type=code is supported.");
  const scopes = parseScopes(req.scope ?? "read");
  const allowed = parseScopes(app.scopes);
  const extra = scopes.filter((s) => !allowed.includes(s));
  if (scopes.length === 0 || extra.length) throw new OAuthError("invalid_scope", `The app did not register the scope ${extra.join(", ") || "(none)"}.`);
  let method: string | null = null;
  if (req.code_challenge) {
    method = req.code_challenge_method ?? "plain";
    if (method !== "S256" && method !== "plain") throw new OAuthError("invalid_request", "code_challenge_method must be S256 or plain.");
    if (!/^[A-Za-z0-9\-._~]{43,128}$/.test(req.code_challenge)) throw new OAuthError("invalid_request", "The code_challenge is malformed.");
  }
  return { app, redirectUri, scopes, codeChallenge: req.code_challenge ?? null, codeChallengeMethod: method };
}

/** The owner approved: a fresh code for the app (shown once). */
export async function grantCode(req: AuthorizeRequest): Promise<{ code: string; redirectUri: string }> {
  const checked = await checkAuthorizeRequest(req);
  const code = newSecret();
  await db().oAuthCode.deleteMany({ where: { expiresAt: { lt: new Date() } } });
  await db().oAuthCode.create({
    data: {
      codeHash: sha256(code),
      appId: checked.app.id,
      redirectUri: checked.redirectUri,
      scopes: checked.scopes.join(" "),
      codeChallenge: checked.codeChallenge,
      codeChallengeMethod: checked.codeChallengeMethod,
      expiresAt: new Date(Date.now() + CODE_LIFETIME_MS),
    },
  });
  return { code, redirectUri: checked.redirectUri };
}

export type IssuedToken = { access_token: string; token_type: "Bearer"; scope: string; created_at: number };

async function issue(data: { appId: number | null; name: string; scopes: string[]; forOwner: boolean }): Promise<IssuedToken & { id: number }> {
  const token = newSecret();
  const row = await db().apiToken.create({ data: { tokenHash: sha256(token), appId: data.appId, name: data.name, scopes: data.scopes.join(" "), forOwner: data.forOwner } });
  return { id: row.id, access_token: token, token_type: "Bearer", scope: row.scopes, created_at: Math.floor(row.createdAt.getTime() / 1000) };
}

/** Client authentication: the secret, when given, must be right; `required` when there is no PKCE. */
async function authenticateClient(clientId: string | undefined, clientSecret: string | undefined, required: boolean) {
  const app = await findApp(clientId);
  const bad = () => new OAuthError("invalid_client", "Client authentication failed: unknown client_id or wrong client_secret.", 401);
  if (!app) throw bad();
  if (clientSecret !== undefined ? !sameSecret(clientSecret, app.clientSecret) : required) throw bad();
  return app;
}

export async function exchangeCode(p: { clientId?: string; clientSecret?: string; code?: string; redirectUri?: string; codeVerifier?: string }) {
  const app = await authenticateClient(p.clientId, p.clientSecret, false);
  const invalid = (why: string) => new OAuthError("invalid_grant", `The authorization code cannot be used: ${why}.`);
  if (!p.code) throw invalid("none was given");
  // Deleting it first makes the code single use even under two requests racing.
  const row = await db().oAuthCode.findUnique({ where: { codeHash: sha256(p.code) } });
  if (!row || (await db().oAuthCode.deleteMany({ where: { codeHash: row.codeHash } })).count !== 1) throw invalid("it is unknown or already used");
  if (row.appId !== app.id) throw invalid("it was granted to another app");
  if (row.expiresAt < new Date()) throw invalid("it has expired");
  if (p.redirectUri !== undefined && p.redirectUri !== row.redirectUri) throw invalid("the redirect_uri differs from the one authorised");
  if (row.codeChallenge) {
    if (!p.codeVerifier || !pkceMatches(p.codeVerifier, row.codeChallenge, row.codeChallengeMethod ?? "plain")) throw invalid("the PKCE code_verifier does not match");
  } else if (p.clientSecret === undefined) {
    throw new OAuthError("invalid_client", "Send the client_secret (or use PKCE).", 401);
  }
  const { id: _id, ...token } = await issue({ appId: app.id, name: app.name, scopes: row.scopes.split(" "), forOwner: true });
  return token;
}

export async function clientCredentials(p: { clientId?: string; clientSecret?: string; scope?: string }) {
  const app = await authenticateClient(p.clientId, p.clientSecret, true);
  const scopes = parseScopes(p.scope ?? "read");
  const allowed = parseScopes(app.scopes);
  if (scopes.some((s) => !allowed.includes(s))) throw new OAuthError("invalid_scope", "The app did not register that scope.");
  const { id: _id, ...token } = await issue({ appId: app.id, name: app.name, scopes, forOwner: false });
  return token;
}

/** RFC 7009: revoking an unknown token, or another app's, is not an error and changes nothing. */
export async function revokeByApp(p: { clientId?: string; clientSecret?: string; token?: string }): Promise<void> {
  const app = await authenticateClient(p.clientId, p.clientSecret, true);
  if (!p.token) return;
  const hash = sha256(p.token);
  await db().$transaction([
    db().apiToken.updateMany({ where: { tokenHash: hash, appId: app.id, revokedAt: null }, data: { revokedAt: new Date() } }),
    // A revoked token's push subscription goes with it (Mastodon deletes it with the token).
    db().pushSubscription.deleteMany({ where: { token: { tokenHash: hash, appId: app.id } } }),
  ]);
}

export type TokenHolder = { id: number; scopes: string[]; forOwner: boolean; appId: number | null };

/** The live token a bearer string names, or null. */
export async function findLiveToken(bearer: string): Promise<TokenHolder | null> {
  const row = await db().apiToken.findUnique({ where: { tokenHash: sha256(bearer) } });
  if (!row || row.revokedAt) return null;
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > LAST_USED_EVERY_MS) {
    await db().apiToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } });
  }
  return { id: row.id, scopes: row.scopes.split(" ").filter(Boolean), forOwner: row.forOwner, appId: row.appId };
}

// For the CLI and Settings.

export async function createPersonalToken(name: string, scopes: string[]) {
  const clean = name.trim();
  if (!clean || clean.length > NAME_MAX) throw new OAuthError("invalid_request", `Give the token a name of 1 to ${NAME_MAX} characters.`);
  if (scopes.length === 0) throw new OAuthError("invalid_scope", "Give at least one scope, such as \"read write follow push\".");
  const unknown = unknownScopes(scopes);
  if (unknown.length) throw new OAuthError("invalid_scope", `Unknown scope: ${unknown.join(", ")}.`);
  return issue({ appId: null, name: clean, scopes, forOwner: true });
}

export async function listTokens() {
  const rows = await db().apiToken.findMany({ where: { revokedAt: null }, include: { app: true }, orderBy: { id: "asc" } });
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    app: r.app ? { name: r.app.name, website: r.app.website } : null,
    scopes: r.scopes.split(" ").filter(Boolean),
    forOwner: r.forOwner,
    createdAt: r.createdAt,
    lastUsedAt: r.lastUsedAt,
  }));
}

/** Revoke one token by its id; false when there is no live token with that id. */
export async function revokeToken(id: number): Promise<boolean> {
  const [revoked] = await db().$transaction([
    db().apiToken.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date() } }),
    db().pushSubscription.deleteMany({ where: { tokenId: id } }),
  ]);
  return revoked.count === 1;
}
