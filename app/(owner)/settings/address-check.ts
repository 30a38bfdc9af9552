"use server";

import { fail, ok, type ActionResult } from "@/lib/action-result";
import { requireOwner } from "@/lib/auth";
import { env } from "@/lib/env";
import { buildReport, type Report } from "@/lib/federation/self-check";
import { gatherFacts } from "@/lib/federation/self-check-facts";

/** The `moiety doctor` checks, run from the browser: is this instance reachable as other servers see it? */
export async function checkAddressAction(): Promise<ActionResult<Report>> {
  await requireOwner();
  try {
    return ok(buildReport(await gatherFacts(env().origin)));
  } catch (err) {
    console.error("address check failed:", err);
    return fail("The check itself failed; run `moiety doctor` on the server for details.");
  }
}
