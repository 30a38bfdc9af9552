"use server";

import { fail, ok, type ActionResult } from "@/lib/action-result";
import { currentSessionId, requireOwner } from "@/lib/auth";
import { endOtherSessions, endSession } from "@/lib/domain/sessions";

/** End one of the owner's other sessions (this browser logs out with "Log out" instead). */
export async function endSessionAction(id: string): Promise<ActionResult> {
  await requireOwner();
  if (typeof id !== "string" || !id) return fail("No session was named.");
  if (id === (await currentSessionId())) return fail("That is this browser: use “Log out of this browser” instead.");
  if (!(await endSession(id))) return fail("That session had already ended.");
  return ok();
}

export async function endOtherSessionsAction(): Promise<ActionResult<number>> {
  await requireOwner();
  const current = await currentSessionId();
  if (!current) return fail("This browser's session is not known; log in again first.");
  return ok(await endOtherSessions(current));
}
