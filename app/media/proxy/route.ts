import { currentOwner } from "@/lib/auth";
import { proxyRemoteImage } from "@/lib/federation/media-proxy";

export const dynamic = "force-dynamic";

export async function GET(request: Request) {
  // Only for the owner's pages: not an open proxy for the internet.
  if (!(await currentOwner())) return Response.json({ error: "Not logged in." }, { status: 401 });
  return proxyRemoteImage(new URL(request.url).searchParams.get("url"));
}
