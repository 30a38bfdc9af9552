import { NextResponse, type NextRequest } from "next/server";
import { CLIENT_ADDRESS_HEADER, FRONT_SECRET_HEADER, cameThroughFront } from "@/lib/client-address";
import { contentSecurityPolicy, newNonce } from "@/lib/csp";
import { env } from "@/lib/env";
import { federation } from "@/lib/federation/federation";
import { hostMeta } from "@/lib/federation/host-meta";
import { refuseBlockedInboxPost } from "@/lib/federation/inbox-guard";
import { nodeInfo20, nodeInfoLinks } from "@/lib/federation/nodeinfo";

// Every request but static assets passes here. ActivityPub and discovery
// requests go to Fedify; everything else (and what Fedify does not answer, a
// browser asking for /users/alice say) goes on to Next with a fresh CSP nonce.

const FEDERATION_PATHS = /^\/(users\/|inbox$|\.well-known\/|nodeinfo\/)/;

/** Continue to Next with a CSP nonce on the request (Next stamps it on its scripts) and the response. */
function page(request: NextRequest): NextResponse {
  const nonce = newNonce();
  const csp = contentSecurityPolicy(nonce, env().nodeEnv === "development");
  const headers = new Headers(request.headers);
  // The secret has done its work; nothing after this needs to see it.
  headers.delete(FRONT_SECRET_HEADER);
  // Without the front (next dev) the client address is whatever a client sent: use none.
  if (env().frontSecret === undefined) headers.delete(CLIENT_ADDRESS_HEADER);
  headers.set("content-security-policy", csp);
  headers.set("x-nonce", nonce);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set("content-security-policy", csp);
  return response;
}

export async function proxy(request: NextRequest) {
  // Under `moiety serve` only the front may talk to this server: another local
  // process could otherwise claim any client address and dodge login throttling.
  const secret = env().frontSecret;
  if (secret !== undefined && !cameThroughFront(request.headers, secret)) {
    return NextResponse.json({ error: "Use Moiety's public address; this port serves only its front server." }, { status: 403 });
  }
  const { pathname } = request.nextUrl;
  if (!FEDERATION_PATHS.test(pathname)) return page(request);
  if (pathname === "/.well-known/nodeinfo") return nodeInfoLinks();
  if (pathname === "/nodeinfo/2.0") return nodeInfo20();
  if (pathname === "/.well-known/host-meta") return hostMeta();
  if (request.method === "POST") {
    const refused = await refuseBlockedInboxPost(request);
    if (refused) return refused;
  }
  const response = await federation().fetch(request, {
    contextData: undefined,
    onNotFound: () => page(request),
    onNotAcceptable: () => page(request),
  });
  return jsonErrors(response);
}

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
