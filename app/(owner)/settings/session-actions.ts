"use server";

import { currentSessionId, requireOwner } from "@/lib/auth";
import { endOtherSessions, endSession } from "@/lib/domain/sessions";
import type { ActionResult } from "../messages/actions";

/** End one of the owner's other sessions (this browser logs out with "Log out" instead). */
export async function endSessionAction(id: string): Promise<ActionResult> {
  await requireOwner();
  if (typeof id !== "string" || !id) return { ok: false, error: "No session was named." };
  if (id === (await currentSessionId())) return { ok: false, error: "That is this browser: use “Log out of this browser” instead." };
  if (!(await endSession(id))) return { ok: false, error: "That session had already ended." };
  return { ok: true };
}

export async function endOtherSessionsAction(): Promise<ActionResult<{ ended: number }>> {
  await requireOwner();
  const current = await currentSessionId();
  if (!current) return { ok: false, error: "This browser's session is not known; log in again first." };
  return { ok: true, ended: await endOtherSessions(current) };
}
