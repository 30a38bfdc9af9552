import { buildActorUpdate } from "../activitypub/activities";
import { db } from "../db";
import { env } from "../env";
import { deliverActivity } from "../federation/outbound/delivery";
import { federation } from "../federation/federation";
import { actorUrl } from "../federation/paths";
import { checkAvatar, removeMedia, storeMedia } from "./avatar";
import { updateProfile, type Owner } from "./owner";
import { requireSender } from "./sending";
import { bioSchema, displayNameSchema, type FieldErrors } from "./validation";

// Saving the owner's profile: the one use case behind Settings → Profile and
// the Mastodon API's update_credentials, so both apply the same limits and
// checks. Telling followers (broadcastProfileUpdate) is the caller's part, once
// the change is saved.

export type ProfileChange = {
  /** Left out: unchanged. */
  displayName?: unknown;
  bio?: unknown;
  /** The bytes of a new avatar, or "remove"; left out: unchanged. */
  avatar?: Uint8Array | "remove";
};

export type ProfileResult = { ok: true; owner: Owner } | { ok: false; errors: FieldErrors };

export async function saveProfile(current: Owner, change: ProfileChange): Promise<ProfileResult> {
  const errors: FieldErrors = {};
  const name = displayNameSchema.safeParse(change.displayName === undefined ? current.displayName : change.displayName);
  const bio = bioSchema.safeParse(change.bio === undefined ? current.bio : change.bio);
  if (!name.success) errors.displayName = name.error.issues[0].message;
  if (!bio.success) errors.bio = bio.error.issues[0].message;
  let avatar: { file: string; type: string } | null | undefined;
  if (change.avatar === "remove") avatar = null;
  else if (change.avatar) {
    const checked = checkAvatar(change.avatar);
    if (!checked.ok) errors.avatar = checked.error;
    else avatar = { file: await storeMedia(checked.image, "avatar"), type: checked.image.type };
  }
  if (!name.success || !bio.success || Object.keys(errors).length > 0) {
    if (avatar) await removeMedia(avatar.file);
    return { ok: false, errors };
  }
  const { owner, oldAvatar } = await updateProfile({ displayName: name.data, bio: bio.data, avatar });
  if (oldAvatar) await removeMedia(oldAvatar);
  return { ok: true, owner };
}

/** Tell followers' servers that the profile changed (Update{Person}), once per shared inbox. */
export async function broadcastProfileUpdate(): Promise<void> {
  const owner = await requireSender();
  // The actor document exactly as Fedify serves it at the actor's URL.
  const ctx = federation().createContext(new Request(env().origin), undefined);
  const actor = await ctx.getActor(owner.username);
  if (!actor) return;
  const me = actorUrl(owner.username);
  const actorJson = (await actor.toJsonLd({ format: "compact", contextLoader: ctx.contextLoader })) as Record<string, unknown>;
  const update = buildActorUpdate({ actor: me, id: `${me}#updates/${Date.now()}`, actorJson });
  const followers = await db().follow.findMany({ where: { direction: "in", state: "accepted" } });
  const actors = await db().remoteActor.findMany({ where: { id: { in: followers.map((f) => f.actorId) } } });
  const inboxes = new Map<string, string | null>();
  for (const a of actors) if (!a.gone) inboxes.set(a.sharedInbox ?? a.inbox, a.sharedInbox ? null : a.id);
  await deliverActivity(update, [...inboxes].map(([inbox, id]) => ({ inbox, id })));
}
