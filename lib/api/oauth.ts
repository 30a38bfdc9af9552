import { clientAddressFrom, throttleBucket } from "../client-address";
import { env } from "../env";
import { vapidKeys } from "../domain/vapid";
import { appRedirectUris, clientCredentials, exchangeCode, OAuthError, registerApp, revokeByApp } from "../domain/oauth";
import { json } from "./http";
import { list, readParams, str, type Params } from "./params";
import { KNOWN_SCOPES, parseScopes } from "./scopes";

// The HTTP side of OAuth: POST /api/v1/apps, /oauth/token, /oauth/revoke and the RFC 8414
// metadata, in the shapes Mastodon 4.3 answers with.

function oauthError(err: unknown): Response {
  if (err instanceof OAuthError) return json({ error: err.code, error_description: err.message }, err.status);
  throw err;
}

/** Mastodon answers registration errors as `{"error": "…"}` with 422. */
export async function registerAppHandler(request: Request): Promise<Response> {
  const p = await readParams(request);
  try {
    const app = await registerApp({
      name: str(p, "client_name"),
      redirectUris: list(p, "redirect_uris"),
      scopes: parseScopes(list(p, "scopes")),
      website: str(p, "website"),
      bucket: throttleBucket(clientAddressFrom(request.headers)),
    });
    const uris = appRedirectUris(app);
    return json({
      id: String(app.id),
      name: app.name,
      website: app.website,
      scopes: app.scopes.split(" "),
      redirect_uri: uris.join("\n"),
      redirect_uris: uris,
      client_id: app.clientId,
      client_secret: app.clientSecret,
      client_secret_expires_at: 0,
      // The VAPID key, as Mastodon gives it to apps (deprecated there in favour of the instance's).
      vapid_key: (await vapidKeys()).publicKey,
    });
  } catch (err) {
    if (err instanceof OAuthError) return json({ error: err.message }, err.status === 429 ? 429 : 422);
    throw err;
  }
}

/** client_id/client_secret from the body or from HTTP Basic (RFC 6749 §2.3.1). */
function clientOf(request: Request, p: Params): { clientId?: string; clientSecret?: string } {
  const basic = /^Basic\s+(\S+)$/i.exec(request.headers.get("authorization") ?? "");
  if (basic) {
    const decoded = Buffer.from(basic[1], "base64").toString("utf8");
    const i = decoded.indexOf(":");
    if (i > 0) return { clientId: decodeURIComponent(decoded.slice(0, i)), clientSecret: decodeURIComponent(decoded.slice(i + 1)) };
  }
  return { clientId: str(p, "client_id"), clientSecret: str(p, "client_secret") };
}

export async function tokenHandler(request: Request): Promise<Response> {
  const p = await readParams(request);
  try {
    const grant = str(p, "grant_type");
    if (grant === "authorization_code") {
      return json(await exchangeCode({ ...clientOf(request, p), code: str(p, "code"), redirectUri: str(p, "redirect_uri"), codeVerifier: str(p, "code_verifier") }));
    }
    if (grant === "client_credentials") {
      return json(await clientCredentials({ ...clientOf(request, p), scope: list(p, "scope")?.join(" ") }));
    }
    throw new OAuthError("unsupported_grant_type", "grant_type must be authorization_code or client_credentials.");
  } catch (err) {
    return oauthError(err);
  }
}

export async function revokeHandler(request: Request): Promise<Response> {
  const p = await readParams(request);
  try {
    await revokeByApp({ ...clientOf(request, p), token: str(p, "token") });
    return json({});
  } catch (err) {
    if (err instanceof OAuthError && err.code === "invalid_client") {
      return json({ error: "unauthorized_client", error_description: "You are not authorized to revoke this token" }, 403);
    }
    return oauthError(err);
  }
}

/** RFC 8414 metadata, with the fields Mastodon 4.3 publishes. */
export function authorizationServerMetadata(): Response {
  const origin = env().origin;
  return json({
    issuer: `${origin}/`,
    service_documentation: "https://docs.joinmastodon.org/",
    authorization_endpoint: `${origin}/oauth/authorize`,
    token_endpoint: `${origin}/oauth/token`,
    app_registration_endpoint: `${origin}/api/v1/apps`,
    revocation_endpoint: `${origin}/oauth/revoke`,
    scopes_supported: [...KNOWN_SCOPES],
    response_types_supported: ["code"],
    response_modes_supported: ["query"],
    code_challenge_methods_supported: ["S256"],
    grant_types_supported: ["authorization_code", "client_credentials"],
    token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
  });
}
