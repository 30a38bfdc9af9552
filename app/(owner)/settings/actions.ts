"use server";

import { requireOwner, requestClientAddress } from "@/lib/auth";
import { changePassword } from "@/lib/domain/owner";
import { verifyPassword } from "@/lib/domain/password";
import { recordFailure, throttleWait } from "@/lib/domain/throttle";
import { LOGIN_POLICY, describeWait } from "@/lib/domain/throttle-policy";
import { changePasswordSchema, fieldErrors, type FieldErrors } from "@/lib/domain/validation";

export type ChangePasswordResult = { ok: true } | { ok: false; errors: FieldErrors };

export async function changePasswordAction(input: {
  currentPassword: string;
  newPassword: string;
  confirmPassword: string;
}): Promise<ChangePasswordResult> {
  const owner = await requireOwner();
  const parsed = changePasswordSchema.safeParse(input);
  if (!parsed.success) return { ok: false, errors: fieldErrors(parsed.error) };
  // Guessing the current password here is as throttled as guessing it at login.
  const key = `login:${await requestClientAddress()}`;
  const wait = await throttleWait(key, LOGIN_POLICY);
  if (wait > 0) return { ok: false, errors: { currentPassword: `Too many failed attempts. Try again in ${describeWait(wait)}.` } };
  if (!(await verifyPassword(owner.passwordHash, parsed.data.currentPassword))) {
    await recordFailure(key, LOGIN_POLICY);
    return { ok: false, errors: { currentPassword: "That is not your current password." } };
  }
  await changePassword(parsed.data.newPassword);
  return { ok: true };
}
