import { createHash } from "node:crypto";
import { embeddedKeyIds } from "../../activitypub/key-document";
import { hasType, idOf, idsOf } from "../../activitypub/values";
import { readSignature, type InboundRequest } from "./http-signature";
import { isBlockedSync, isKnownActor, ownerUsername, storeActivity } from "./inbox-store";
import { contentTypeProblem, parseInboxBody } from "./limits";
import { contextProblem, REQUEST_FETCH_BUDGET_MS } from "./remote-contexts";
import { heldKey, keyFor, mayRefetch, refetchKey, type RemoteKey } from "./remote-keys";

// POST /inbox and POST /users/NAME/inbox, answered in the front process
// (lib/server/front.ts) without Next, Prisma, Fedify or JSON-LD. In order:
//  - the content type (415), then UTF-8 JSON within bounds (400);
//  - a personal inbox of someone who does not live here (404);
//  - the HTTP signature's syntax, time, coverage and body digest (401), with
//    no key yet: junk costs no fetch (http-signature.ts);
//  - blocked accounts and domains (403): the keyId names the sender's server
//    (and, minus its fragment or /main-key path, usually the actor);
//  - every actor the activity names, and every key an embedded Linked Data
//    Signature or proof names, on the keyId's server (401): a server signs
//    only for its own accounts. An activity naming no `actor` is refused (400):
//    a plain reader would see none, whatever JSON-LD might make of it;
//  - an account's Delete of itself that we never knew: 202 and nothing
//    stored, with no fetch (its key is gone with it, its URL answers 410);
//  - the signature verified with the key, fetched once on a miss; a key that
//    fails is fetched again once (a rotation), at most once a minute (401).
//    A signature that fails with a key in memory that may not be fetched
//    again yet is refused first of all, before the body is parsed;
//  - the key's owner is the activity's actor (401): a key document on the
//    actor's server that names another owner does not speak for the actor;
//  - the remote @context documents it names can be loaded (400), fetched
//    once per URL and only now, for a verified sender (remote-contexts.ts);
//  - applied at once when it is a DM (or its edit or delete) from a cached
//    sender, else stored once per activity id for the worker (a repeat is
//    answered 202 and dropped); committed before the 202 (inbox-store.ts);
//    503 when the database is busy.

export type InboxAnswer = { status: number; body?: { error: string }; headers?: Record<string, string> };

const refuse = (status: number, error: string, headers?: Record<string, string>): InboxAnswer => ({ status, body: { error }, headers });
const ACCEPTED: InboxAnswer = { status: 202 };

/** Which inbox a path is: the shared one (recipient null), a user's, or none of ours (undefined). */
export function inboxRecipient(path: string): { recipient: string | null } | undefined {
  if (path === "/inbox") return { recipient: null };
  const m = /^\/users\/([^/]+)\/inbox$/.exec(path);
  if (!m) return undefined;
  try {
    return { recipient: decodeURIComponent(m[1]) };
  } catch {
    return { recipient: m[1] };
  }
}

function hostOf(url: string): string | null {
  try {
    return new URL(url).host;
  } catch {
    return null;
  }
}

/** The actor a keyId most likely belongs to: the URL without its fragment or /main-key path. */
function signerOf(keyId: string): string {
  const u = new URL(keyId);
  u.hash = "";
  return u.href.replace(/\/main-key$/, "");
}

/**
 * The idempotence key: the activity's id when it is on its actor's server
 * (so one account cannot take another's id first and have its real activity
 * dropped as a repeat), else that id qualified by the actor; a hash of the
 * body for an activity without an id.
 */
function activityKey(activity: Record<string, unknown>, actor: string, text: string): string {
  const id = typeof activity.id === "string" ? activity.id : undefined;
  if (!id) return `urn:sha256:${createHash("sha256").update(text).digest("hex")}`;
  return hostOf(id) === hostOf(actor) ? id : `${actor} ${id}`;
}

/**
 * What makes the JSON no activity at all, or null: a `type` that is not a
 * string (or strings), an `id` that is not a string. JSON-LD processing (the
 * Fedify path) would fail on these later, and retry them for hours.
 */
function shapeProblem(activity: Record<string, unknown>): string | null {
  const types = Array.isArray(activity.type) ? activity.type : [activity.type];
  if (types.length === 0 || !types.every((t) => typeof t === "string" && t.length > 0)) return "The activity's type is not a name.";
  if (activity.id !== undefined && typeof activity.id !== "string") return "The activity's id is not a URL.";
  return null;
}

export async function acceptInboxPost(req: InboundRequest, recipient: string | null): Promise<InboxAnswer> {
  const deadline = Date.now() + REQUEST_FETCH_BUDGET_MS;
  const badType = contentTypeProblem(typeof req.headers["content-type"] === "string" ? req.headers["content-type"] : undefined);
  if (badType) return refuse(badType.status, badType.error);
  const read = readSignature(req);
  // A signature that fails with the key already in memory, when that key may
  // not be fetched again yet, can only be refused: before the body is even
  // parsed, which is most of what a flood of forged signatures costs.
  const held = read.ok ? heldKey(read.signature.keyId) : undefined;
  let verifiedWith: RemoteKey | undefined;
  if (held && read.ok) {
    if (read.signature.verify(held.key)) verifiedWith = held;
    else if (!mayRefetch(held)) return refuse(401, `The HTTP signature does not verify with the key ${read.signature.keyId}.`);
  }
  const parsed = parseInboxBody(req.body);
  if (!parsed.ok) return refuse(parsed.status, parsed.error);
  const { activity, text } = parsed;
  const shape = shapeProblem(activity);
  if (shape) return refuse(400, shape);
  if (recipient !== null && recipient !== ownerUsername()) return refuse(404, `There is no account named ${recipient} here.`);

  if (!read.ok) return refuse(401, read.error);
  const { keyId, verify } = read.signature;
  const signer = signerOf(keyId);
  if (isBlockedSync(signer)) return refuse(403, "Blocked.");

  const actors = [...new Set(idsOf(activity.actor))];
  if (actors.length === 0) return refuse(400, "The activity names no actor.");
  const keyHost = hostOf(keyId);
  for (const key of embeddedKeyIds(activity)) {
    if (hostOf(key) !== keyHost) return refuse(401, "The signature's key is not on the actor's server.");
  }
  for (const actor of actors) {
    if (hostOf(actor) !== keyHost) return refuse(401, "The signature's key is not on the actor's server.");
    if (actor !== signer && isBlockedSync(actor)) return refuse(403, "Blocked.");
  }
  const actor = actors[0];
  if (actors.length === 1 && hasType(activity, "Delete") && idOf(activity.object) === actor && !isKnownActor(actor)) return ACCEPTED;

  let found = await keyFor(keyId);
  if (!found.ok) return refuse(401, found.error);
  if (found.key !== verifiedWith && !verify(found.key.key)) {
    const again = found.fetchedNow ? null : await refetchKey(keyId, found.key);
    if (!again?.ok || !verify(again.key.key)) return refuse(401, `The HTTP signature does not verify with the key ${keyId}.`);
    found = again;
  }
  if (actors.some((a) => a !== found.key.ownerId)) return refuse(401, "The signature's key does not belong to the activity's actor.");
  const badContext = await contextProblem(activity, deadline);
  if (badContext) return refuse(400, badContext);

  const outcome = await storeActivity({ activityId: activityKey(activity, actor, text), actorId: actor, keyId, recipient, body: text, activity });
  if (outcome === "busy") return refuse(503, "The server is busy; try again in a moment.", { "retry-after": "5" });
  if (outcome === "failed") return refuse(500, "The activity could not be stored; try again later.");
  return ACCEPTED;
}
