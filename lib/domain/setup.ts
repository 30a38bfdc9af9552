import { z } from "zod";
import { checkAvatar, removeMedia, storeMedia } from "./avatar";
import { createOwner, ownerExists, OwnerExistsError, type Owner } from "./owner";
import { checkSetupCode, forgetSetupThrottle, markSetupCodeUsed } from "./setup-code";
import { setSetting } from "./settings";
import { accountSchema, bioSchema, fieldErrors, setupCodeSchema, type FieldErrors } from "./validation";

// The one path that creates the owner, for the web wizard and the CLI alike.

export type SetupInput = {
  username: unknown;
  displayName: unknown;
  password: unknown;
  confirmPassword: unknown;
  bio?: unknown;
  avatar?: Uint8Array | null;
  origin: string;
};

export type SetupResult = { ok: true; owner: Owner } | { ok: false; errors: FieldErrors };

/** Validate everything that does not need the database; used per wizard step too. */
export function validateSetupFields(input: SetupInput) {
  const account = accountSchema.safeParse({
    username: input.username,
    displayName: input.displayName,
    password: input.password,
    confirmPassword: input.confirmPassword,
  });
  const bio = bioSchema.safeParse(input.bio ?? "");
  const errors: FieldErrors = {};
  if (!account.success) Object.assign(errors, fieldErrors(account.error));
  if (!bio.success) errors.bio = fieldErrors(bio.error).form ?? bio.error.issues[0].message;
  let avatar = null;
  if (input.avatar && input.avatar.length > 0) {
    const checked = checkAvatar(input.avatar);
    if (checked.ok) avatar = checked.image;
    else errors.avatar = checked.error;
  }
  if (!account.success || !bio.success || Object.keys(errors).length > 0) return { ok: false as const, errors };
  return { ok: true as const, account: account.data, bio: bio.data, avatar };
}

/**
 * Create the owner. With `code` (the web wizard) the one-time setup code must
 * match and is used up in the same transaction; the CLI runs with access to the
 * data dir and passes none.
 */
export async function runSetup(input: SetupInput, code?: { value: unknown; clientAddress: string }): Promise<SetupResult> {
  if (await ownerExists()) return { ok: false, errors: { form: new OwnerExistsError().message } };
  if (code) {
    const parsed = setupCodeSchema.safeParse(code.value);
    if (!parsed.success) return { ok: false, errors: { code: parsed.error.issues[0].message } };
    const check = await checkSetupCode(parsed.data, code.clientAddress);
    if (!check.ok) return { ok: false, errors: { code: check.error } };
  }
  const valid = validateSetupFields(input);
  if (!valid.ok) return valid;

  const avatarFile = valid.avatar ? await storeMedia(valid.avatar, "avatar") : null;
  try {
    const owner = await createOwner(
      {
        username: valid.account.username,
        displayName: valid.account.displayName,
        password: valid.account.password,
        bio: valid.bio,
        avatar: avatarFile && valid.avatar ? { file: avatarFile, type: valid.avatar.type } : undefined,
      },
      async (tx) => {
        if (code) await markSetupCodeUsed(tx);
      },
    );
    await setSetting("origin", input.origin);
    if (code) await forgetSetupThrottle();
    return { ok: true, owner };
  } catch (err) {
    if (avatarFile) await removeMedia(avatarFile);
    if (err instanceof OwnerExistsError) return { ok: false, errors: { form: err.message } };
    throw err;
  }
}

export const originSchema = z.url({ protocol: /^https?$/, message: "Give an origin like https://social.example" });
