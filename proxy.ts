import { NextResponse, type NextRequest } from "next/server";
import { CLIENT_ADDRESS_HEADER, FRONT_SECRET_HEADER, cameThroughFront } from "@/lib/client-address";
import { contentSecurityPolicy, newNonce } from "@/lib/csp";
import { conversationExists } from "@/lib/domain/conversations";
import { isCorsPath, preflight } from "@/lib/api/http";
import { authorizationServerMetadata } from "@/lib/api/oauth";
import { env } from "@/lib/env";
import { federation } from "@/lib/federation/federation";
import { hostMeta } from "@/lib/federation/host-meta";
import { mlsResponse, withKeyPackagesProperty } from "@/lib/federation/mls-routes";
import { nodeInfo20, nodeInfoLinks } from "@/lib/federation/nodeinfo";

// Every request but static assets passes here. ActivityPub and discovery
// requests go to Fedify; everything else (and what Fedify does not answer, a
// browser asking for /users/alice say) goes on to Next with a fresh CSP nonce.
// Inbox POSTs never reach Next: the front server answers them
// (lib/federation/inbound/accept.ts).

const FEDERATION_PATHS = /^\/(users\/|inbox$|\.well-known\/|nodeinfo\/)/;
const THREAD_PAGE = /^\/messages\/([^/]+)$/;
// A path no route answers: rewriting to it renders app/not-found.tsx with status 404.
const NOT_FOUND_PATH = "/_moiety-not-found";

/** Continue to Next with a CSP nonce on the request (Next stamps it on its scripts) and the response. */
function page(request: NextRequest, rewriteTo?: string): NextResponse {
  const nonce = newNonce();
  const csp = contentSecurityPolicy(nonce, env().nodeEnv === "development");
  const headers = new Headers(request.headers);
  // The secret has done its work; nothing after this needs to see it — except a rewrite, which
  // Next answers as a new request that passes through here again.
  if (!rewriteTo) headers.delete(FRONT_SECRET_HEADER);
  // Without the front (next dev) the client address is whatever a client sent: use none.
  if (env().frontSecret === undefined) headers.delete(CLIENT_ADDRESS_HEADER);
  headers.set("content-security-policy", csp);
  headers.set("x-nonce", nonce);
  const response = rewriteTo
    ? NextResponse.rewrite(new URL(rewriteTo, request.url), { request: { headers } })
    : NextResponse.next({ request: { headers } });
  response.headers.set("content-security-policy", csp);
  return response;
}

/**
 * Owner pages stream (app/(owner)/loading.tsx), so by the time a thread page finds its
 * conversation missing the status 200 is already sent; an unknown id is answered here instead.
 */
async function isUnknownThread(request: NextRequest, pathname: string): Promise<boolean> {
  const raw = THREAD_PAGE.exec(pathname)?.[1];
  if (!raw || raw === "new" || request.method !== "GET") return false;
  try {
    return !(await conversationExists(decodeURIComponent(raw)));
  } catch (err) {
    if (err instanceof URIError) return true; // a malformed %-escape names no conversation
    throw err;
  }
}

export async function proxy(request: NextRequest) {
  // Under `moiety serve` only the front may talk to this server: another local
  // process could otherwise claim any client address and dodge login throttling.
  const secret = env().frontSecret;
  if (secret !== undefined && !cameThroughFront(request.headers, secret)) {
    return NextResponse.json({ error: "Use Moiety's public address; this port serves only its front server." }, { status: 403 });
  }
  const { pathname } = request.nextUrl;
  // The Mastodon client API (lib/api/): browser clients on other origins ask first.
  if (request.method === "OPTIONS" && isCorsPath(pathname)) return preflight();
  if (pathname === "/.well-known/oauth-authorization-server") return authorizationServerMetadata();
  if (!FEDERATION_PATHS.test(pathname)) return page(request, (await isUnknownThread(request, pathname)) ? NOT_FOUND_PATH : undefined);
  if (pathname === "/.well-known/nodeinfo") return nodeInfoLinks();
  if (pathname === "/nodeinfo/2.0") return nodeInfo20();
  if (pathname === "/.well-known/host-meta") return hostMeta();
  // Only `next dev` without the front gets here with an inbox POST: Fedify's own inbox lacks the front's checks.
  if (request.method === "POST" && INBOX_PATH.test(pathname)) {
    return NextResponse.json({ error: "Inboxes are answered by moiety serve's front server." }, { status: 404 });
  }
  // End-to-end encryption's KeyPackages and envelopes (Fedify dispatches only its own vocabulary).
  const mls = await mlsResponse(request);
  if (mls) return mls;
  const response = await federation().fetch(request, {
    contextData: undefined,
    onNotFound: () => page(request),
    onNotAcceptable: () => page(request),
  });
  return jsonErrors(await withKeyPackagesProperty(request, response));
}

const INBOX_PATH = /(^|\/)inbox\/?$/;

/** Fedify answers refused requests in plain text; servers and people get the same reason as JSON. */
async function jsonErrors(response: Response): Promise<Response> {
  if (response.status < 400 || response.status >= 500) return response;
  if ((response.headers.get("content-type") ?? "").includes("json")) return response;
  const reason = (await response.text()).trim() || response.statusText;
  const headers = new Headers(response.headers);
  headers.set("content-type", "application/json; charset=utf-8");
  headers.delete("content-length");
  return new Response(JSON.stringify({ error: reason }), { status: response.status, headers });
}

export const config = {
  matcher: ["/((?!_next/static|_next/image|favicon.ico).*)"],
};
