import {
  Accept,
  Block,
  Create,
  Delete,
  Follow,
  Reject,
  Undo,
  Update,
  isActor,
  type Activity,
  type Actor,
  type Context,
  type InboxContext,
} from "@fedify/fedify";
import { directMessageOf, editOf } from "../../activitypub/incoming";
import { carriesMls, incomingEnvelopeOf } from "../../activitypub/mls-inbox";
import { idsOf, isObject, type JsonObject } from "../../activitypub/values";
import {
  getCachedActor,
  getFollow,
  isBlocked,
  markActorGone,
  recordFollow,
  removeFollow,
  type RemoteActor,
} from "../../domain/contacts";
import { deleteIncomingMessage, editIncomingMessage, storeIncomingMessage } from "../../domain/conversations";
import { usableSender } from "../../domain/incoming-store";
import { storeIncomingEnvelope } from "../../domain/mls-incoming";
import { getOwner } from "../../domain/owner";
import { getSetting } from "../../domain/settings";
import { fetchActorById, LookupError, rememberActor } from "../lookup";
import { acceptFollow } from "../../domain/follows";
import { wakePushWorker } from "../outbound/push-delivery";
import { actorUrl } from "../paths";

// Inbox listeners. Fedify has verified the HTTP signature and that the signing
// key belongs to the activity's actor before any of these run. Each listener
// is idempotent: Fedify drops repeated activity ids, and a retried queue
// message finds its work already done.

type Ctx = InboxContext<void>;

/** The owner's actor URL, once known: the username never changes after setup, and every activity asks. */
let ownerUrl: string | null = null;

async function ownerActorUrl(): Promise<string | null> {
  if (ownerUrl) return ownerUrl;
  const owner = await getOwner();
  if (owner) ownerUrl = actorUrl(owner.username);
  return ownerUrl;
}

/**
 * The actor Fedify parsed must be an `actor` the JSON as received names
 * literally: a remote @context can rename properties, and one that changes
 * between the inbox guard's read and Fedify's could make Fedify see another actor.
 */
async function actorAsReceived(activity: Activity): Promise<boolean> {
  const parsed = activity.actorId?.href;
  const json = await raw(activity);
  return parsed !== undefined && idsOf(json.actor).includes(parsed);
}

/**
 * The sender, fetched from its own id and cached. Never the actor as embedded
 * in the activity, nor a document whose id is another account's: either
 * would let one server write another's cached actor (its inbox, issue 11).
 */
async function senderOf(activity: Activity, ctx: Ctx): Promise<{ actor: Actor & { id: URL }; row: RemoteActor } | null> {
  if (!(await actorAsReceived(activity))) return null;
  const actorId = activity.actorId;
  if (!actorId || (await isBlocked(actorId.href))) return null;
  let verified;
  try {
    verified = await fetchActorById(actorId, { documentLoader: ctx.documentLoader, contextLoader: ctx.contextLoader });
  } catch (error) {
    // Not an account, or one claiming another's id: nothing to do. A slow or failing server is retried.
    if (error instanceof LookupError && !error.transient) return null;
    throw error;
  }
  const row = await rememberActor(verified);
  return row ? { actor: verified.actor, row } : null;
}

/** The sender of a DM: the cached actor while fresh, else fetched as senderOf does; null when blocked or unknown. */
async function dmSenderOf(activity: Activity, ctx: Ctx): Promise<{ id: URL; followersUrl: string | null } | null> {
  if (!(await actorAsReceived(activity))) return null;
  const actorId = activity.actorId?.href;
  const cached = actorId ? await getCachedActor(actorId) : null;
  if (usableSender(cached)) {
    if (await isBlocked(cached.id)) return null;
    return { id: new URL(cached.id), followersUrl: cached.followersUrl };
  }
  const sender = await senderOf(activity, ctx);
  return sender ? { id: sender.actor.id, followersUrl: sender.row.followersUrl } : null;
}

/** The raw JSON as received: Fedify keeps it, with properties its vocabulary does not know (conversation, _misskey_content). */
async function raw(obj: { toJsonLd(): Promise<unknown> }): Promise<JsonObject> {
  const json = await obj.toJsonLd();
  return isObject(json) ? json : {};
}

export async function onFollow(ctx: Ctx, follow: Follow): Promise<void> {
  const me = await ownerActorUrl();
  if (!me || follow.objectId?.href !== me || !follow.id) return;
  // The Follow as received, taken before getActor() swaps the actor's id for the whole fetched document.
  const followJson = await raw(follow);
  const sender = await senderOf(follow, ctx);
  if (!sender) return;
  const owner = (await getOwner())!;
  const follower = sender.row;
  const approve = (await getSetting("approveFollowers")) ?? false;
  const existing = await getFollow("in", follower.id);
  const state = existing?.state === "accepted" || !approve ? "accepted" : "pending";
  await recordFollow("in", follower.id, follow.id.href, state);
  wakePushWorker();
  if (state === "accepted") await acceptFollow(owner, follower, followJson);
}

export async function onUndo(ctx: Ctx, undo: Undo): Promise<void> {
  if (!(await actorAsReceived(undo))) return;
  const actorId = undo.actorId?.href;
  if (!actorId) return;
  const object = await undo.getObject({ documentLoader: ctx.documentLoader, contextLoader: ctx.contextLoader }).catch(() => null);
  // Undo may carry the Follow or only its id; either way only the actor's own follow is undone.
  if (object instanceof Follow || object === null) {
    const existing = await getFollow("in", actorId);
    if (existing && (object === null || !object.id || object.id.href === existing.activityId || object.actorId?.href === actorId)) {
      await removeFollow("in", actorId);
    }
  }
}

export async function onAccept(ctx: Ctx, accept: Accept): Promise<void> {
  if (!(await actorAsReceived(accept))) return;
  const actorId = accept.actorId?.href;
  if (!actorId) return;
  const existing = await getFollow("out", actorId);
  if (!existing) return;
  const objectId = accept.objectId?.href;
  // Mastodon matches by the Follow id or an embedded Follow; accept either.
  if (objectId && objectId !== existing.activityId) {
    const object = await accept.getObject({ documentLoader: ctx.documentLoader, contextLoader: ctx.contextLoader }).catch(() => null);
    if (!(object instanceof Follow) || object.objectId?.href !== actorId) return;
  }
  await recordFollow("out", actorId, existing.activityId, "accepted");
}

export async function onReject(_ctx: Ctx, reject: Reject): Promise<void> {
  if (!(await actorAsReceived(reject))) return;
  const actorId = reject.actorId?.href;
  // A Reject of a pending or accepted follow: we do not (or no longer) follow them.
  if (actorId) await removeFollow("out", actorId);
}

export async function onBlock(_ctx: Ctx, block: Block): Promise<void> {
  if (!(await actorAsReceived(block))) return;
  const me = await ownerActorUrl();
  const actorId = block.actorId?.href;
  if (!me || !actorId || block.objectId?.href !== me) return;
  await removeFollow("in", actorId);
  await removeFollow("out", actorId);
}

/** A Create: a DM for the owner is stored; anything public or for followers is not a DM and is ignored. */
export async function onCreate(ctx: Ctx, create: Create): Promise<void> {
  const me = await ownerActorUrl();
  if (!me) return;
  const activityJson = await raw(create);
  if (carriesMls(activityJson)) return onMlsCreate(ctx, create, activityJson, me);
  const object = await create.getObject({ documentLoader: ctx.documentLoader, contextLoader: ctx.contextLoader });
  if (!object?.id) return;
  const objectJson = isObject(activityJson.object) ? activityJson.object : await raw(object);
  const sender = await dmSenderOf(create, ctx);
  if (!sender) return;
  // The same rules as the fast inbox's (lib/activitypub/incoming.ts): the sender's own, private, for the owner.
  const dm = directMessageOf({ activity: activityJson, object: objectJson, objectId: object.id.href, sender: { id: sender.id.href, followersUrl: sender.followersUrl }, me });
  if (!dm) return;
  // isRequest left out: worked out only if this DM starts a conversation
  // (a stranger: the owner neither follows nor has written to the sender).
  await storeIncomingMessage(dm);
  // Its pushes were queued with it (a trigger on Notification); send them now rather than at the next poll.
  wakePushWorker();
}

/** An MLS envelope (lib/activitypub/mls-inbox.ts): the same checks as the fast inbox's, never stored as a DM. */
async function onMlsCreate(ctx: Ctx, create: Create, activityJson: JsonObject, me: string): Promise<void> {
  // Refused whatever the sender's followers collection is: nothing to fetch.
  const actor = idsOf(activityJson.actor)[0];
  if (!actor || !incomingEnvelopeOf({ activity: activityJson, sender: { id: actor, followersUrl: null }, me })) return;
  const sender = await dmSenderOf(create, ctx);
  if (!sender) return;
  const envelope = incomingEnvelopeOf({ activity: activityJson, sender: { id: sender.id.href, followersUrl: sender.followersUrl }, me });
  if (!envelope) return;
  if ((await storeIncomingEnvelope(envelope)).created && envelope.kind === "PrivateMessage") wakePushWorker();
}

export async function onUpdate(ctx: Ctx, update: Update): Promise<void> {
  // The JSON as received, read before anything else is fetched for this activity.
  const activityJson = await raw(update);
  const sender = (await senderOf(update, ctx))?.actor;
  if (!sender) return;
  const object = await update.getObject({ documentLoader: ctx.documentLoader, contextLoader: ctx.contextLoader });
  if (!object?.id) return;
  if (isActor(object)) return; // Update{Person}: rememberActor above already refreshed the cache
  const objectJson = isObject(activityJson.object) ? activityJson.object : await raw(object);
  const edit = editOf(objectJson);
  if (!edit) return;
  await editIncomingMessage(object.id.href, sender.id.href, edit);
}

export async function onDelete(_ctx: Ctx, del: Delete): Promise<void> {
  if (!(await actorAsReceived(del))) return;
  const actorId = del.actorId?.href;
  const objectId = del.objectId?.href;
  if (!actorId || !objectId) return;
  if (objectId === actorId) {
    await markActorGone(actorId);
    return;
  }
  // Only the author's server can delete its notes; a Delete's addressing is ignored.
  if (new URL(objectId).host !== new URL(actorId).host) return;
  await deleteIncomingMessage(objectId, actorId, new Date());
}

export function onInboxError(_ctx: Context<void>, error: Error): void {
  console.error("inbox: an activity failed:", error);
}
