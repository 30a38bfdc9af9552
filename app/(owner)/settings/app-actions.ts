"use server";

import { fail, ok, type ActionResult } from "@/lib/action-result";
import { requireOwner } from "@/lib/auth";
import { revokeToken } from "@/lib/domain/oauth";

/** Revoke one API token: the app using it is refused from its next request. */
export async function revokeTokenAction(id: number): Promise<ActionResult> {
  await requireOwner();
  if (!Number.isSafeInteger(id) || id < 1) return fail("No token was named.");
  if (!(await revokeToken(id))) return fail("That token had already been revoked.");
  return ok();
}
