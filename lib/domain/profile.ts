import { checkAvatar, removeMedia, storeMedia } from "./avatar";
import { updateProfile, type Owner } from "./owner";
import { bioSchema, displayNameSchema, type FieldErrors } from "./validation";

// Saving the owner's profile: the one use case behind Settings → Profile and
// the Mastodon API's update_credentials, so both apply the same limits and
// checks. Telling followers (an Update) is the caller's part: it lives in
// lib/federation/outgoing.ts (broadcastProfileUpdate).

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
