"use server";

import { requireOwner } from "@/lib/auth";
import { env } from "@/lib/env";
import { buildReport, gatherFacts, type Report } from "@/lib/federation/self-check";

/** The `moiety doctor` checks, run from the browser: is this instance reachable as other servers see it? */
export async function checkAddressAction(): Promise<{ ok: true; report: Report } | { ok: false; error: string }> {
  await requireOwner();
  try {
    return { ok: true, report: buildReport(await gatherFacts(env().origin)) };
  } catch (err) {
    console.error("address check failed:", err);
    return { ok: false, error: "The check itself failed; run `moiety doctor` on the server for details." };
  }
}
