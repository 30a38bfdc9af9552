import { createHash, randomInt, timingSafeEqual } from "node:crypto";
import { db } from "../db";
import { SETUP_CODE_POLICY, describeWait } from "./throttle-policy";
import { clearThrottle, recordFailure, throttleWait } from "./throttle";

// The setup code is what stops a stranger from claiming a fresh instance that
// is already reachable from the internet: only someone who can read the
// server's log can finish setup. Stored hashed; a new one on every start.

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"; // Crockford base32: no I, L, O, U
const THROTTLE_KEY = "setup-code";

export function generateSetupCode(): string {
  let raw = "";
  for (let i = 0; i < 12; i++) raw += ALPHABET[randomInt(ALPHABET.length)];
  return `${raw.slice(0, 4)}-${raw.slice(4, 8)}-${raw.slice(8, 12)}`;
}

/** Accept what people type: any case, spaces or dashes, and the look-alikes O/I/L. */
export function normalizeSetupCode(input: string): string {
  return input
    .toUpperCase()
    .replace(/[\s-]/g, "")
    .replace(/O/g, "0")
    .replace(/[IL]/g, "1");
}

export function hashSetupCode(code: string): string {
  return createHash("sha256").update(normalizeSetupCode(code)).digest("hex");
}

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, "hex");
  const y = Buffer.from(b, "hex");
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Replace any earlier code with a new one and return it (only its hash is stored). */
export async function issueSetupCode(): Promise<string> {
  const code = generateSetupCode();
  const codeHash = hashSetupCode(code);
  await db().setupCode.upsert({
    where: { id: 1 },
    create: { id: 1, codeHash },
    update: { codeHash, createdAt: new Date(), usedAt: null },
  });
  return code;
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
