"use server";

import { fail, failFields, ok, type ActionResult } from "@/lib/action-result";
import { requestClientAddress } from "@/lib/auth";
import { env } from "@/lib/env";
import { ownerExists, OwnerExistsError } from "@/lib/domain/owner";
import { runSetup, validateSetupFields } from "@/lib/domain/setup";
import { checkSetupCode } from "@/lib/domain/setup-code";
import { setupCodeSchema } from "@/lib/domain/validation";

// Setup actions run before any owner exists, so they cannot check a session;
// each one refuses once an owner exists, and only the setup code opens the door.

const CLOSED = fail(new OwnerExistsError().message);
const FAILED = fail("Something went wrong on the server. Nothing was saved; please try again.");

export async function verifySetupCodeAction(code: string): Promise<ActionResult> {
  try {
    if (await ownerExists()) return CLOSED;
    const parsed = setupCodeSchema.safeParse(code);
    if (!parsed.success) return failFields({ code: parsed.error.issues[0].message });
    const check = await checkSetupCode(parsed.data, await requestClientAddress());
    return check.ok ? ok() : failFields({ code: check.error });
  } catch (err) {
    console.error("setup: code check failed:", err);
    return FAILED;
  }
}

export async function checkAccountAction(input: {
  username: string;
  displayName: string;
  password: string;
  confirmPassword: string;
}): Promise<ActionResult> {
  if (await ownerExists()) return CLOSED;
  const result = validateSetupFields({ ...input, origin: env().origin });
  return result.ok ? ok() : failFields(result.errors);
}

function text(form: FormData, key: string): string {
  const v = form.get(key);
  return typeof v === "string" ? v : "";
}

/** Answers the new owner's username, to log in with. */
export async function finishSetupAction(form: FormData): Promise<ActionResult<string>> {
  try {
    const avatar = form.get("avatar");
    const avatarBytes = avatar instanceof File && avatar.size > 0 ? new Uint8Array(await avatar.arrayBuffer()) : null;
    const result = await runSetup(
      {
        username: text(form, "username"),
        displayName: text(form, "displayName"),
        password: text(form, "password"),
        confirmPassword: text(form, "confirmPassword"),
        bio: text(form, "bio"),
        avatar: avatarBytes,
        origin: env().origin,
      },
      { value: text(form, "code"), clientAddress: await requestClientAddress() },
    );
    return result.ok ? ok(result.owner.username) : failFields(result.errors);
  } catch (err) {
    console.error("setup: finishing failed:", err);
    return FAILED;
  }
}
