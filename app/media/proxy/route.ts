import { currentOwner } from "@/lib/auth";
import { mediaSignatureValid } from "@/lib/domain/signed-media-url";
import { proxyRemoteImage } from "@/lib/federation/media-proxy";

export const dynamic = "force-dynamic";

export async function GET(request: Request) {
  const params = new URL(request.url).searchParams;
  const url = params.get("url");
  // The owner's pages, or a URL this server signed for an API answer: not an open proxy for the internet.
  const signed = url !== null && mediaSignatureValid(url, params.get("sig"));
  if (!signed && !(await currentOwner())) return Response.json({ error: "Not logged in." }, { status: 401 });
  return proxyRemoteImage(url);
}
