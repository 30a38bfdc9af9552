import { isBlocked } from "../domain/contacts";

// Refuse inbox POSTs from blocked accounts and domains before Fedify reads the
// body: the signature's keyId names the sender's server (and, minus its
// fragment or /main-key path, usually the actor).

function keyIdOf(signature: string | null): string | null {
  if (!signature) return null;
  const m = /keyId="([^"]+)"/.exec(signature);
  return m ? m[1] : null;
}

export async function refuseBlockedInboxPost(request: Request): Promise<Response | null> {
  const path = new URL(request.url).pathname;
  if (!/(^|\/)inbox$/.test(path)) return null;
  const keyId = keyIdOf(request.headers.get("signature"));
  if (!keyId) return null; // unsigned: Fedify answers 401
  let actor: string;
  try {
    const u = new URL(keyId);
    u.hash = "";
    actor = u.href.replace(/\/main-key$/, "");
  } catch {
    return null;
  }
  if (!(await isBlocked(actor))) return null;
  return new Response(JSON.stringify({ error: "Blocked." }), {
    status: 403,
    headers: { "content-type": "application/json" },
  });
}
