import { timingSafeEqual } from "node:crypto";
import { throttleBucket } from "../client-address";
import { db } from "../db";
import { hashSetupCode } from "./setup-code-format";
import { SETUP_CODE_GLOBAL_POLICY, SETUP_CODE_POLICY, describeWait } from "./throttle-policy";
import { throttledCheck } from "./throttle";

// The setup code is what stops a stranger from claiming a fresh instance that
// is already reachable from the internet: only someone who can read the
// server's log can finish setup. Stored hashed; a new one on every start.

export { generateSetupCode, hashSetupCode, normalizeSetupCode } from "./setup-code-format";

const GLOBAL_KEY = "setup-code";
const bucketKey = (clientAddress: string) => `setup-code:${throttleBucket(clientAddress)}`;

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, "hex");
  const y = Buffer.from(b, "hex");
  return x.length === y.length && timingSafeEqual(x, y);
}

export type SetupCodeCheck = { ok: true } | { ok: false; error: string };

/**
 * Check a code without using it up. Wrong guesses are throttled per client
 * bucket (an IPv4 address, an IPv6 /64), so a stranger guessing locks out only
 * themselves, and for everyone together with a far higher ceiling. The check
 * and the count are one transaction: parallel guesses cannot slip past.
 */
export async function checkSetupCode(input: string, clientAddress: string, now = new Date()): Promise<SetupCodeCheck> {
  const result = await throttledCheck(
    [
      { key: bucketKey(clientAddress), policy: SETUP_CODE_POLICY },
      { key: GLOBAL_KEY, policy: SETUP_CODE_GLOBAL_POLICY },
    ],
    async (tx) => {
      const row = await tx.setupCode.findUnique({ where: { id: 1 } });
      return !!row && !row.usedAt && sameHash(row.codeHash, hashSetupCode(input));
    },
    now,
  );
  if (result.ok) return { ok: true };
  if ("waitMs" in result) {
    return {
      ok: false,
      error: `Too many wrong codes. Try again in ${describeWait(result.waitMs)}, or create the owner with \`moiety setup\` on the server.`,
    };
  }
  return {
    ok: false,
    error: "That setup code is not right. Copy it from the server's log (it changes on every start).",
  };
}

/** Called inside the transaction that creates the owner: the code works once. */
export async function markSetupCodeUsed(tx: Pick<ReturnType<typeof db>, "setupCode">): Promise<void> {
  await tx.setupCode.update({ where: { id: 1 }, data: { usedAt: new Date() } });
}

/** After setup, the counters have nothing left to protect. */
export async function forgetSetupThrottle(): Promise<void> {
  await db().throttle.deleteMany({ where: { key: { startsWith: GLOBAL_KEY } } });
}
