import { buildKeyPackageObject, buildKeyPackagesCollection, withKeyPackages } from "../activitypub/mls";
import { isObject } from "../activitypub/values";
import { decodeOrRefuse, keyPackagesUrl, keyPackageUrl, publishedKeyPackage, publishedKeyPackages } from "../domain/mls-devices";
import { mlsObjectUrl, sentEnvelopeFor } from "../domain/mls-envelopes";
import { getOwner } from "../domain/owner";
import { federation } from "./federation";
import { actorUrl } from "./paths";
import { verifiedSigner } from "./signer";

// The public side of end-to-end encryption (docs/E2EE.md), answered by
// proxy.ts before Fedify: the owner's KeyPackages (public, anyone may start an
// encrypted conversation), the envelopes we sent (only to a signed request
// from an addressee, like DMs, lib/federation/objects.ts), and the actor
// document's `keyPackages` property, added to what Fedify's actor dispatcher
// (lib/federation/federation.ts) produced.

const KEY_PACKAGES = /^\/users\/([^/]+)\/key_packages\/?$/;
const KEY_PACKAGE = /^\/users\/([^/]+)\/key_packages\/([A-Za-z0-9_-]{1,64})$/;
const SENT = /^\/users\/([^/]+)\/mls\/([A-Za-z0-9_-]{1,64})$/;
const ACTOR = /^\/users\/([^/]+)$/;

const AS_JSON = "application/activity+json";

function json(body: unknown): Response {
  return new Response(JSON.stringify(body), { headers: { "content-type": AS_JSON, vary: "Accept, Signature" } });
}

function notFound(): Response {
  return new Response(JSON.stringify({ error: "Not found." }), { status: 404, headers: { "content-type": "application/json; charset=utf-8" } });
}

/** The owner's username if `name` (from the path) is it. */
async function ownerNamed(name: string): Promise<string | null> {
  const owner = await getOwner();
  return owner && owner.username === decodeURIComponent(name) ? owner.username : null;
}

/** The answer for an MLS path, or null for any other request (it goes on to Fedify). */
export async function mlsResponse(request: Request): Promise<Response | null> {
  if (request.method !== "GET" && request.method !== "HEAD") return null;
  const { pathname } = new URL(request.url);
  let m = KEY_PACKAGES.exec(pathname);
  if (m) {
    const username = await ownerNamed(m[1]);
    if (!username) return notFound();
    const items = (await publishedKeyPackages()).map((k) => keyPackageUrl(username, k.id));
    return json(buildKeyPackagesCollection({ id: keyPackagesUrl(username), items }));
  }
  m = KEY_PACKAGE.exec(pathname);
  if (m) {
    const username = await ownerNamed(m[1]);
    const row = username ? await publishedKeyPackage(m[2]) : null;
    if (!username || !row) return notFound();
    const bytes = decodeOrRefuse(row.content, "The stored KeyPackage");
    return json(buildKeyPackageObject({ id: keyPackageUrl(username, row.id), attributedTo: actorUrl(username), published: row.createdAt, bytes }));
  }
  m = SENT.exec(pathname);
  if (m) {
    const username = await ownerNamed(m[1]);
    if (!username) return notFound();
    // A DM-like object: a 404 to anyone but a verified addressee, as if it did not exist.
    const signer = await verifiedSigner(federation().createContext(request, undefined));
    const object = signer ? await sentEnvelopeFor(mlsObjectUrl(username, m[2]), signer.href) : null;
    return object ? json(object) : notFound();
  }
  return null;
}

/** The owner's actor document with the `keyPackages` term (defined inline) and property; any other response as it is. */
export async function withKeyPackagesProperty(request: Request, response: Response): Promise<Response> {
  const name = ACTOR.exec(new URL(request.url).pathname)?.[1];
  if (!name || response.status !== 200 || !/json/i.test(response.headers.get("content-type") ?? "")) return response;
  const username = await ownerNamed(name);
  if (!username) return response;
  const actor: unknown = await response.clone().json().catch(() => null);
  if (!isObject(actor) || actor.id !== actorUrl(username)) return response;
  const headers = new Headers(response.headers);
  headers.delete("content-length");
  return new Response(JSON.stringify(withKeyPackages(actor, keyPackagesUrl(username))), { status: 200, headers });
}
