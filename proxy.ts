import { NextResponse, type NextRequest } from "next/server";
import { federation } from "@/lib/federation/federation";
import { hostMeta } from "@/lib/federation/host-meta";
import { refuseBlockedInboxPost } from "@/lib/federation/inbox-guard";
import { nodeInfo20, nodeInfoLinks } from "@/lib/federation/nodeinfo";

// ActivityPub and discovery requests go to Fedify; everything it does not
// answer (a browser asking for /users/alice, say) falls through to Next.

export async function proxy(request: NextRequest) {
  const { pathname } = request.nextUrl;
  if (pathname === "/.well-known/nodeinfo") return nodeInfoLinks();
  if (pathname === "/nodeinfo/2.0") return nodeInfo20();
  if (pathname === "/.well-known/host-meta") return hostMeta();
  if (request.method === "POST") {
    const refused = await refuseBlockedInboxPost(request);
    if (refused) return refused;
  }
  return federation().fetch(request, {
    contextData: undefined,
    onNotFound: () => NextResponse.next(),
    onNotAcceptable: () => NextResponse.next(),
  });
}

export const config = {
  matcher: ["/users/:path*", "/inbox", "/.well-known/:path*", "/nodeinfo/:path*"],
};
