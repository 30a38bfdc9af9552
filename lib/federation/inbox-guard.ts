import { getRemoteActor, isBlocked } from "../domain/contacts";
import { hasType, idOf, idsOf, isObject } from "../activitypub/values";

// Checks on inbox POSTs before Fedify verifies them:
//  - refuse blocked accounts and domains (403): the signature's keyId names
//    the sender's server (and, minus its fragment or /main-key path, usually
//    the actor), the body names the actor;
//  - refuse a signature whose key lives on another server than the activity's
//    actor (401). Fedify 1.5 accepts a key whose document merely *claims* the
//    actor as its owner, so without this any server could sign as anyone;
//  - answer 202 to an account's Delete of itself when we never knew that
//    account (INTEROP.md: its URL answers 410, so its key cannot be fetched,
//    and there is nothing here to delete).

function keyIdOf(signature: string | null): string | null {
  if (!signature) return null;
  const m = /keyId="([^"]+)"/.exec(signature);
  return m ? m[1] : null;
}

function json(status: number, error: string): Response {
  return new Response(JSON.stringify({ error }), { status, headers: { "content-type": "application/json" } });
}

function hostOf(url: string): string | null {
  try {
    return new URL(url).host;
  } catch {
    return null;
  }
}

export async function refuseBlockedInboxPost(request: Request): Promise<Response | null> {
  const path = new URL(request.url).pathname;
  if (!/(^|\/)inbox$/.test(path)) return null;
  const keyId = keyIdOf(request.headers.get("signature"));
  if (!keyId) return null; // unsigned: Fedify answers 401
  let signer: string;
  try {
    const u = new URL(keyId);
    u.hash = "";
    signer = u.href.replace(/\/main-key$/, "");
  } catch {
    return null;
  }
  if (await isBlocked(signer)) return json(403, "Blocked.");

  // The front server has capped the body at 1 MiB; Fedify reads the original after this.
  const activity: unknown = await request
    .clone()
    .json()
    .catch(() => null);
  if (!isObject(activity)) return null; // Fedify answers 400
  const actors = idsOf(activity.actor);
  if (actors.length === 0) return null; // Fedify answers 400
  for (const actor of actors) {
    if (await isBlocked(actor)) return json(403, "Blocked.");
    if (hostOf(actor) !== hostOf(keyId)) return json(401, "The signature's key is not on the actor's server.");
  }
  const [actor] = actors;
  if (hasType(activity, "Delete") && idOf(activity.object) === actor && !(await getRemoteActor(actor))) {
    return new Response(null, { status: 202 });
  }
  return null;
}
