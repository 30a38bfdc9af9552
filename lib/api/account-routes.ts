import { broadcastProfileUpdate, saveProfile, type ProfileChange } from "../domain/profile";
import { credentialAccount } from "./accounts";
import { accountTarget, requireOwnerRow, targetAccount } from "./account-target";
import { requireToken } from "./auth";
import { api, ApiError, json } from "./http";
import { fromSearchParams, readParams, type Params } from "./params";

// The owner's own account (verify_credentials, update_credentials) and any
// account by id. The route files under app/api/v1/accounts/ name these.

export const verifyCredentials = api(async (request) => {
  await requireToken(request, "profile");
  return json(await credentialAccount(await requireOwnerRow()));
});

export const showAccount = api(async (request, ctx) => {
  // Mastodon serves accounts without a token; here they are the owner's contacts, so a token is needed.
  await requireToken(request, "read:accounts");
  const { id } = await ctx.params;
  return json(await targetAccount(await accountTarget(Array.isArray(id) ? id[0] : id)));
});

const MULTIPART = /^multipart\/form-data/i;

/** The text parameters and the avatar file of an update_credentials request (multipart, form or JSON). */
async function readProfileRequest(request: Request): Promise<{ params: Params; avatar: File | null }> {
  if (!MULTIPART.test(request.headers.get("content-type") ?? "")) return { params: await readParams(request), avatar: null };
  let form: FormData;
  try {
    form = await request.formData();
  } catch {
    throw new ApiError(400, "The form data in the request body cannot be read.");
  }
  // The text fields read as readParams reads them (`fields_attributes[0][name]` and all); the file apart.
  const text = new URLSearchParams();
  for (const [key, value] of form) if (typeof value === "string") text.append(key, value);
  const avatar = form.get("avatar");
  return { params: fromSearchParams(text, fromSearchParams(new URL(request.url).searchParams)), avatar: avatar instanceof File ? avatar : null };
}

/** A text field as sent: absent stays undefined (unchanged), anything not text is refused by the schema. */
function textField(params: Params, key: string): unknown {
  return key in params ? params[key] : undefined;
}

/**
 * PATCH update_credentials: display_name, note (plain text, the bio) and
 * avatar (an image file), with Settings' limits and checks; the change goes
 * out to followers as an Update, as from Settings. Header, locked, fields,
 * bot, discoverable and the rest mean nothing here and are ignored.
 */
export const updateCredentials = api(async (request) => {
  await requireToken(request, "write:accounts");
  const owner = await requireOwnerRow();
  const { params, avatar } = await readProfileRequest(request);
  const change: ProfileChange = { displayName: textField(params, "display_name"), bio: textField(params, "note") };
  if (avatar && avatar.size > 0) change.avatar = new Uint8Array(await avatar.arrayBuffer());
  else if (typeof params.avatar === "string" && params.avatar !== "") {
    throw new ApiError(422, "Send the avatar as an image file in a multipart/form-data request.");
  }
  const saved = await saveProfile(owner, change);
  if (!saved.ok) throw new ApiError(422, `Validation failed: ${Object.values(saved.errors).join(" ")}`);
  // The profile is saved either way; a failed broadcast must not undo that (as in Settings).
  broadcastProfileUpdate().catch((err) => console.error("profile update broadcast failed:", err instanceof Error ? err.message : err));
  return json(await credentialAccount(saved.owner));
});
