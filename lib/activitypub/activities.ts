import { PUBLIC } from "./addressing";

// The JSON-LD of the owner's other activities: follows, blocks, answers to a
// follow request, profile updates. Pure (ids and times come from the caller),
// like the DM builders in ./direct-message.ts, so what is sent is what the
// tests read.

const AS = "https://www.w3.org/ns/activitystreams";

export function buildFollow(input: { actor: string; id: string; object: string }) {
  return { "@context": AS, id: input.id, type: "Follow", actor: input.actor, object: input.object };
}

/** Undo of an earlier Follow, embedding it so the other side can match it without a fetch. */
export function buildUndoFollow(input: { actor: string; followId: string; object: string }) {
  return {
    "@context": AS,
    id: `${input.followId}/undo`,
    type: "Undo",
    actor: input.actor,
    object: { id: input.followId, type: "Follow", actor: input.actor, object: input.object },
  };
}

/** Addressed to the blocked account: Mastodon tells its user, as it does itself. */
export function buildBlock(input: { actor: string; id: string; object: string }) {
  return { "@context": AS, id: input.id, type: "Block", actor: input.actor, object: input.object, to: [input.object] };
}

/** Accept or Reject of someone's Follow, embedding their Follow (Mastodon matches on it). */
export function buildFollowAnswer(input: { type: "Accept" | "Reject"; actor: string; id: string; follow: unknown }) {
  return { "@context": AS, id: input.id, type: input.type, actor: input.actor, object: input.follow };
}

/** The Follow a stored follow request stands for, when only its id was kept. */
export function followOf(input: { id: string; actor: string; object: string }) {
  return { id: input.id, type: "Follow", actor: input.actor, object: input.object };
}

/** Update{Person}: the profile is public, so unlike a DM this one is addressed to Public. */
export function buildActorUpdate(input: { actor: string; id: string; actorJson: Record<string, unknown> }) {
  const { "@context": context, ...object } = input.actorJson;
  return { "@context": context, id: input.id, type: "Update", actor: input.actor, to: [PUBLIC], object };
}
