"use server";

import { requireOwner } from "@/lib/auth";
import { revokeToken } from "@/lib/domain/oauth";
import type { ActionResult } from "../messages/actions";

/** Revoke one API token: the app using it is refused from its next request. */
export async function revokeTokenAction(id: number): Promise<ActionResult> {
  await requireOwner();
  if (!Number.isSafeInteger(id) || id < 1) return { ok: false, error: "No token was named." };
  if (!(await revokeToken(id))) return { ok: false, error: "That token had already been revoked." };
  return { ok: true };
}
