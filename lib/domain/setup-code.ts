import { timingSafeEqual } from "node:crypto";
import { db } from "../db";
import { hashSetupCode } from "./setup-code-format";
import { SETUP_CODE_POLICY, describeWait } from "./throttle-policy";
import { clearThrottle, recordFailure, throttleWait } from "./throttle";

// The setup code is what stops a stranger from claiming a fresh instance that
// is already reachable from the internet: only someone who can read the
// server's log can finish setup. Stored hashed; a new one on every start.

export { generateSetupCode, hashSetupCode, normalizeSetupCode } from "./setup-code-format";

const THROTTLE_KEY = "setup-code";

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, "hex");
  const y = Buffer.from(b, "hex");
  return x.length === y.length && timingSafeEqual(x, y);
}

export type SetupCodeCheck = { ok: true } | { ok: false; error: string };

/**
 * Check a code without using it up. Wrong guesses are throttled for everyone,
 * because an attacker can come from any number of addresses.
 */
export async function checkSetupCode(input: string, now = new Date()): Promise<SetupCodeCheck> {
  const wait = await throttleWait(THROTTLE_KEY, SETUP_CODE_POLICY, now);
  if (wait > 0) {
    return { ok: false, error: `Too many wrong codes. Try again in ${describeWait(wait)}.` };
  }
  const row = await db().setupCode.findUnique({ where: { id: 1 } });
  if (!row || row.usedAt || !sameHash(row.codeHash, hashSetupCode(input))) {
    await recordFailure(THROTTLE_KEY, SETUP_CODE_POLICY, now);
    return {
      ok: false,
      error: "That setup code is not right. Copy it from the server's log (it changes on every start).",
    };
  }
  return { ok: true };
}

/** Called inside the transaction that creates the owner: the code works once. */
export async function markSetupCodeUsed(tx: Pick<ReturnType<typeof db>, "setupCode">): Promise<void> {
  await tx.setupCode.update({ where: { id: 1 }, data: { usedAt: new Date() } });
}

export async function forgetSetupThrottle(): Promise<void> {
  await clearThrottle(THROTTLE_KEY);
}
