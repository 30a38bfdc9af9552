"use server";

import { requireOwner } from "@/lib/auth";
import { fail, ok, type ActionResult } from "@/lib/action-result";
import { grantCode, OAuthError, OOB_REDIRECT, checkAuthorizeRequest, type AuthorizeRequest } from "@/lib/domain/oauth";

/** Where the browser goes next: back to the app, or to the page showing an out-of-band code. */
export type AuthorizeResult = ActionResult<string>;

function withQuery(uri: string, params: Record<string, string | undefined>): string {
  const url = new URL(uri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return url.toString();
}

function clean(req: AuthorizeRequest): AuthorizeRequest {
  const out: AuthorizeRequest = {};
  for (const key of ["client_id", "redirect_uri", "response_type", "scope", "state", "code_challenge", "code_challenge_method"] as const) {
    if (typeof req?.[key] === "string") out[key] = req[key];
  }
  return out;
}

/** The owner approved the app: a code goes back to the app (or is shown, for the out-of-band URI). */
export async function approveAuthorization(request: AuthorizeRequest): Promise<AuthorizeResult> {
  await requireOwner();
  try {
    const req = clean(request);
    const { code, redirectUri } = await grantCode(req);
    if (redirectUri === OOB_REDIRECT) return ok(`/oauth/authorize/native?code=${encodeURIComponent(code)}`);
    return ok(withQuery(redirectUri, { code, state: req.state }));
  } catch (err) {
    if (err instanceof OAuthError) return fail(err.message);
    throw err;
  }
}

export async function denyAuthorization(request: AuthorizeRequest): Promise<AuthorizeResult> {
  await requireOwner();
  try {
    const req = clean(request);
    const { redirectUri } = await checkAuthorizeRequest(req);
    if (redirectUri === OOB_REDIRECT) return ok("/messages");
    return ok(withQuery(redirectUri, { error: "access_denied", error_description: "The owner denied the request.", state: req.state }));
  } catch (err) {
    if (err instanceof OAuthError) return fail(err.message);
    throw err;
  }
}
