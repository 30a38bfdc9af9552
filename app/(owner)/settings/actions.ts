"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { fail, failFields, ok, type ActionResult } from "@/lib/action-result";
import { requireOwner, requestClientAddress } from "@/lib/auth";
import { changePassword } from "@/lib/domain/owner";
import { broadcastProfileUpdate, saveProfile } from "@/lib/domain/profile";
import { throttledPasswordCheck } from "@/lib/domain/login-throttle";
import { verifyPassword } from "@/lib/domain/password";
import { setSetting } from "@/lib/domain/settings";
import { changePasswordSchema, fieldErrors } from "@/lib/domain/validation";
import { LookupError, resolveActor } from "@/lib/federation/lookup";

export async function changePasswordAction(input: {
  currentPassword: string;
  newPassword: string;
  confirmPassword: string;
}): Promise<ActionResult> {
  const owner = await requireOwner();
  const parsed = changePasswordSchema.safeParse(input);
  if (!parsed.success) return failFields(fieldErrors(parsed.error));
  // Guessing the current password here is as throttled as guessing it at login.
  const check = await throttledPasswordCheck(await requestClientAddress(), async () =>
    (await verifyPassword(owner.passwordHash, parsed.data.currentPassword)) ? true : null,
  );
  if (!check.ok) {
    return failFields({ currentPassword: "refused" in check ? check.refused : "That is not your current password." });
  }
  await changePassword(parsed.data.newPassword);
  return ok();
}

function tellFollowers() {
  // The profile is saved either way; a failed broadcast must not undo that.
  broadcastProfileUpdate().catch((err) => console.error("profile update broadcast failed:", err));
}

export async function updateProfileAction(form: FormData): Promise<ActionResult> {
  const owner = await requireOwner();
  const file = form.get("avatar");
  let avatar: Uint8Array | "remove" | undefined;
  if (form.get("removeAvatar") === "1") avatar = "remove";
  else if (file instanceof File && file.size > 0) avatar = new Uint8Array(await file.arrayBuffer());
  const saved = await saveProfile(owner, { displayName: form.get("displayName"), bio: form.get("bio") ?? "", avatar });
  if (!saved.ok) return failFields(saved.errors);
  tellFollowers();
  revalidatePath("/", "layout");
  return ok();
}

export async function setApproveFollowersAction(approve: boolean): Promise<ActionResult> {
  await requireOwner();
  const parsed = z.boolean().safeParse(approve);
  if (!parsed.success) return fail("Invalid value.");
  await setSetting("approveFollowers", parsed.data);
  tellFollowers();
  revalidatePath("/settings");
  return ok();
}

/** Set the accounts this one is also known as (each typed as a handle or URL, one per line). */
export async function setAliasesAction(text: string): Promise<ActionResult> {
  await requireOwner();
  const lines = z.string().max(5000).safeParse(text);
  if (!lines.success) return failFields({ aliases: "Too long." });
  const entries = lines.data.split(/\s+/).map((s) => s.trim()).filter(Boolean);
  if (entries.length > 10) return failFields({ aliases: "At most 10 aliases." });
  const urls: string[] = [];
  for (const entry of entries) {
    try {
      urls.push((await resolveActor(entry, { refresh: true })).id);
    } catch (err) {
      return failFields({ aliases: err instanceof LookupError ? err.message : `Could not look up ${entry}.` });
    }
  }
  await setSetting("alsoKnownAs", [...new Set(urls)]);
  tellFollowers();
  revalidatePath("/settings");
  return ok();
}
