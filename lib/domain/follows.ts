import { buildBlock, buildFollow, buildFollowAnswer, buildUndoFollow, followOf } from "../activitypub/activities";
import { deliverActivity } from "../federation/outbound/delivery";
import { resolveActor } from "../federation/lookup";
import { actorUrl } from "../federation/paths";
import { addBlock, getFollow, getRemoteActor, isBlocked, recordFollow, removeFollow, type RemoteActor } from "./contacts";
import { newId } from "./ids";
import type { Owner } from "./owner";
import { mentionName, requireSender, SendError } from "./sending";

// Follows both ways and blocks: the rows here, the activity to the other
// server through the delivery queue.

export async function followActor(who: string): Promise<RemoteActor> {
  const owner = await requireSender();
  const target = await resolveActor(who);
  if (await isBlocked(target.id)) throw new SendError(`${mentionName(target)} is blocked; unblock them first.`);
  const me = actorUrl(owner.username);
  const follow = buildFollow({ actor: me, id: `${me}#follows/${newId()}`, object: target.id });
  const existing = await getFollow("out", target.id);
  await recordFollow("out", target.id, follow.id, existing?.state === "accepted" ? "accepted" : "pending");
  await deliverActivity(follow, [target]);
  return target;
}

export async function unfollowActor(who: string): Promise<RemoteActor> {
  const owner = await requireSender();
  const target = await resolveActor(who);
  const existing = await getFollow("out", target.id);
  if (!existing) throw new SendError(`You do not follow ${mentionName(target)}.`);
  const undo = buildUndoFollow({ actor: actorUrl(owner.username), followId: existing.activityId, object: target.id });
  await removeFollow("out", target.id);
  await deliverActivity(undo, [target]);
  return target;
}

/** Block an account: follows end both ways, they are told (as Mastodon does), nothing more reaches them. */
export async function blockActor(who: string): Promise<RemoteActor> {
  const owner = await requireSender();
  const target = await resolveActor(who);
  const me = actorUrl(owner.username);
  const block = buildBlock({ actor: me, id: `${me}#blocks/${newId()}`, object: target.id });
  // Delivered before the block is stored: once stored, nothing is sent to them any more.
  await deliverActivity(block, [target]);
  await addBlock("actor", target.id);
  return target;
}

async function answerFollow(type: "Accept" | "Reject", owner: Owner, follower: RemoteActor, follow: unknown): Promise<void> {
  const me = actorUrl(owner.username);
  const path = type === "Accept" ? "accepts" : "rejects";
  await deliverActivity(buildFollowAnswer({ type, actor: me, id: `${me}#${path}/${newId()}`, follow }), [follower]);
}

/** The Accept for someone's Follow (the inbox calls it when no approval is needed). */
export async function acceptFollow(owner: Owner, follower: RemoteActor, followJson: unknown): Promise<void> {
  await answerFollow("Accept", owner, follower, followJson);
}

/** Approve a held follow request: Accept it (Mastodon matches the Accept by the Follow's id). */
export async function approveFollower(actorId: string): Promise<void> {
  const owner = await requireSender();
  const follow = await getFollow("in", actorId);
  const follower = await getRemoteActor(actorId);
  if (!follow || !follower) throw new SendError("There is no follow request from that account.");
  await recordFollow("in", actorId, follow.activityId, "accepted");
  await answerFollow("Accept", owner, follower, followOf({ id: follow.activityId, actor: actorId, object: actorUrl(owner.username) }));
}

/** Turn down a follow request, or remove an existing follower: a Reject tells their server. */
export async function rejectFollower(actorId: string): Promise<void> {
  const owner = await requireSender();
  const follow = await getFollow("in", actorId);
  const follower = await getRemoteActor(actorId);
  if (!follow || !follower) throw new SendError("That account does not follow you.");
  await removeFollow("in", actorId);
  await answerFollow("Reject", owner, follower, followOf({ id: follow.activityId, actor: actorId, object: actorUrl(owner.username) }));
}
