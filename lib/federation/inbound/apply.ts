import type Database from "better-sqlite3";
import { isDirectMessage } from "../../activitypub/addressing";
import { audienceIncludes, contextsKnown, directMessageOf, editOf, readIncoming } from "../../activitypub/incoming";
import { carriesMls, incomingEnvelopeOf } from "../../activitypub/mls-inbox";
import { idOf, type JsonObject } from "../../activitypub/values";
import {
  cachedActorSteps,
  deleteIncomingSteps,
  editIncomingSteps,
  markActorGoneSteps,
  messageExistsSteps,
  ownerUsernameSteps,
  storeIncomingSteps,
  usableSender,
} from "../../domain/incoming-store";
import { storeIncomingEnvelopeSteps } from "../../domain/mls-incoming";
import { runSync } from "../../domain/sql-steps";
import { actorUrl } from "../paths";
import { isBlockedOn } from "./blocks";
import { handToFedify } from "./hand-over";

// How one accepted activity is applied, inside the worker's transaction.
// Synchronous: nothing here may fetch or wait. The common case — a Create,
// Update or Delete of a DM in compact JSON with known contexts, from a sender
// whose actor is cached — is applied here with the same rules and the same
// SQL steps as Fedify's listeners (lib/federation/inbound/inbox-listeners.ts, through
// lib/activitypub/incoming.ts and lib/domain/incoming-store.ts). What is
// certain to change nothing is dropped ("ignored"), with no fetch: edits and
// deletes of messages never stored here (delete storms), posts that are not
// DMs for the owner, blocked senders. Anything else goes to Fedify's queue.

export type InboxRow = {
  seq: number;
  activityId: string;
  actorId: string;
  keyId: string;
  recipient: string | null;
  body: string;
  receivedAt: string;
  attempts: number;
};

/** "stored" / "ignored" (applied here), "fedify" (handed to Fedify's queue). */
export type Outcome = "stored" | "ignored" | "fedify";

export function applyActivity(db: Database.Database, row: InboxRow): Outcome {
  const activity: unknown = JSON.parse(row.body);
  const outcome = applyHere(db, row.actorId, activity);
  if (outcome) return outcome;
  handToFedify(db, { activity, actorId: row.actorId, recipient: row.recipient });
  return "fedify";
}

/** The owner's actor URL, once there is an owner (the username never changes after setup). */
let ownerUrl: string | null = null;

function ownerActor(db: Database.Database): string | null {
  if (ownerUrl) return ownerUrl;
  const username = runSync(db, ownerUsernameSteps());
  if (username) ownerUrl = actorUrl(username);
  return ownerUrl;
}

/** The sender as the listeners would take it from the cache; "blocked"; or null when only a fetch could tell. */
function senderOf(db: Database.Database, actorId: string): { id: string; followersUrl: string | null } | "blocked" | null {
  if (isBlockedOn(db, actorId)) return "blocked";
  const cached = runSync(db, cachedActorSteps(actorId));
  return usableSender(cached) ? { id: new URL(cached.id).href, followersUrl: cached.followersUrl } : null;
}

/**
 * The outcome when the activity was applied here, null when it is Fedify's to
 * handle. `signer` is the actor whose key signed the POST. Also run by the
 * accepting side, in its group commit, when nothing is waiting before it (inbox-store.ts).
 */
export function applyHere(db: Database.Database, signer: string, activity: unknown): Outcome | null {
  if (!contextsKnown(activity)) return null;
  if (carriesMls(activity)) return applyEnvelope(db, signer, activity as JsonObject);
  const incoming = readIncoming(activity);
  if (incoming.kind === "unhandled") return null;
  // The accept step checked that the signer is the activity's actor; an activity claiming someone else changes nothing.
  if (incoming.actorId !== signer) return "ignored";

  if (incoming.kind === "delete") {
    const { actorId, objectId } = incoming;
    if (objectId === actorId) return runSync(db, markActorGoneSteps(actorId)) ? "stored" : "ignored";
    // Only the author's server can delete its notes; a Delete's addressing is ignored.
    if (new URL(objectId).host !== new URL(actorId).host) return "ignored";
    return runSync(db, deleteIncomingSteps(objectId, actorId, new Date())) ? "stored" : "ignored";
  }

  if (incoming.kind === "update") {
    if (!runSync(db, messageExistsSteps(incoming.objectId))) return "ignored";
    const sender = senderOf(db, incoming.actorId);
    if (sender === "blocked") return "ignored";
    if (!sender) return null;
    const edit = editOf(incoming.object);
    if (!edit) return "ignored";
    return runSync(db, editIncomingSteps(incoming.objectId, sender.id, edit)) ? "stored" : "ignored";
  }

  const me = ownerActor(db);
  if (!me) return "ignored";
  const { activity: json, object, objectId } = incoming;
  const sender = senderOf(db, incoming.actorId);
  if (sender === "blocked") return "ignored";
  // Not a DM for the owner, whoever sent it: nothing to store, so nothing to fetch
  // (a sender's followers collection can only make a post less private).
  if (!sender) return !isDirectMessage({ ...json, object }) || !audienceIncludes(json, object, me) ? "ignored" : null;
  // directMessageOf applies the same two rules, the sender's followers collection included.
  const dm = directMessageOf({ activity: json as JsonObject, object, objectId, sender, me });
  if (!dm) return "ignored";
  return runSync(db, storeIncomingSteps(dm)).created ? "stored" : "ignored";
}

/**
 * A Create carrying an MLS envelope (lib/activitypub/mls-inbox.ts). Never
 * read as a DM. Only a cached sender is applied here; one that is not
 * goes to Fedify's listener, which fetches it — unless the envelope is
 * refused whatever the sender's followers collection is, then nothing is fetched.
 */
function applyEnvelope(db: Database.Database, signer: string, activity: JsonObject): Outcome | null {
  const me = ownerActor(db);
  if (!me || idOf(activity.actor) !== signer) return "ignored";
  const sender = senderOf(db, signer);
  if (sender === "blocked") return "ignored";
  if (!sender) return incomingEnvelopeOf({ activity, sender: { id: signer, followersUrl: null }, me }) ? null : "ignored";
  const envelope = incomingEnvelopeOf({ activity, sender, me });
  if (!envelope) return "ignored";
  return runSync(db, storeIncomingEnvelopeSteps(envelope)).created ? "stored" : "ignored";
}
