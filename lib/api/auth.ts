import { findLiveToken, type TokenHolder } from "../domain/oauth";
import { grants } from "./scopes";
import { ApiError } from "./http";

// Every API call that needs a token goes through requireToken: 401 without a live token, 403 when
// its scopes do not cover the call. Only the Authorization header counts, so no cookie ever opens
// the API and there is nothing to forge across sites.

export const INVALID_TOKEN = "The access token is invalid";

export function bearerOf(request: Request): string | null {
  const header = request.headers.get("authorization") ?? "";
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : null;
}

/**
 * The token of this request, which must grant `scope`. `user: false` also accepts an app's own
 * (client_credentials) token, as Mastodon does for calls that need no account.
 */
export async function requireToken(request: Request, scope: string, opts: { user?: boolean } = {}): Promise<TokenHolder> {
  const bearer = bearerOf(request);
  const token = bearer ? await findLiveToken(bearer) : null;
  // RFC 6750 §3, as Mastodon sends it.
  if (!token) throw new ApiError(401, INVALID_TOKEN, {}, { "www-authenticate": `Bearer error="invalid_token", error_description="${INVALID_TOKEN}"` });
  if (!grants(token.scopes, scope)) {
    throw new ApiError(403, "This action is outside the authorized scopes", {}, { "www-authenticate": `Bearer error="insufficient_scope", scope="${scope}"` });
  }
  if ((opts.user ?? true) && !token.forOwner) throw new ApiError(422, "This method requires an authenticated user");
  return token;
}
