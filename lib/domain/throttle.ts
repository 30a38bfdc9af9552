import { db, writeTransaction } from "../db";
import { nextFailures, waitMs, type ThrottlePolicy } from "./throttle-policy";

type Tx = Parameters<Parameters<typeof writeTransaction>[0]>[0];

// Throttle rows: a failure count and the time of the last failure per key
// (lib/domain/throttle-policy.ts does the arithmetic). Checking and counting
// happen in one write transaction, never as separate steps: between a check
// and a later count, any number of parallel attempts would pass the check.

async function waitIn(tx: Tx, key: string, policy: ThrottlePolicy, now: Date): Promise<number> {
  return waitMs(await tx.throttle.findUnique({ where: { key } }), now, policy);
}

async function countFailureIn(tx: Tx, key: string, policy: ThrottlePolicy, now: Date): Promise<void> {
  const failures = nextFailures(await tx.throttle.findUnique({ where: { key } }), now, policy);
  await tx.throttle.upsert({
    where: { key },
    create: { key, failures, lastFailureAt: now },
    update: { failures, lastFailureAt: now },
  });
}

export async function clearThrottle(key: string): Promise<void> {
  await db().throttle.deleteMany({ where: { key } });
}

export type Reservation = { ok: true } | { ok: false; waitMs: number } | { ok: false; busy: true };

/**
 * Count an attempt as a failure before it is checked, in one write
 * transaction with the check of the throttle: parallel attempts queue on
 * SQLite's write lock, so each sees the ones before it, and no number of
 * simultaneous requests gets more checks than the policy allows. The caller
 * clears the key when the attempt succeeds.
 *
 * `admit` is asked only for an attempt the throttle lets through (a
 * process-wide budget, lib/domain/password-budget.ts); when it says no, the
 * attempt is refused as busy and not counted against the key.
 */
export async function reserveAttempt(
  key: string,
  policy: ThrottlePolicy,
  opts: { now?: Date; admit?: () => boolean } = {},
): Promise<Reservation> {
  const now = opts.now ?? new Date();
  return writeTransaction(async (tx): Promise<Reservation> => {
    const wait = await waitIn(tx, key, policy, now);
    if (wait > 0) return { ok: false, waitMs: wait };
    if (opts.admit && !opts.admit()) return { ok: false, busy: true };
    await countFailureIn(tx, key, policy, now);
    return { ok: true };
  });
}

export type ThrottledCheck = { ok: true } | { ok: false; waitMs: number } | { ok: false; wrong: true };

/**
 * A cheap check (no slow hashing) under several throttles at once, all in one
 * write transaction: refused while any bucket waits, and a wrong answer counts
 * against every bucket. Atomic, so parallel guesses see each other.
 */
export async function throttledCheck(
  buckets: { key: string; policy: ThrottlePolicy }[],
  check: (tx: Tx) => Promise<boolean>,
  now = new Date(),
): Promise<ThrottledCheck> {
  return writeTransaction(async (tx): Promise<ThrottledCheck> => {
    let wait = 0;
    for (const b of buckets) wait = Math.max(wait, await waitIn(tx, b.key, b.policy, now));
    if (wait > 0) return { ok: false, waitMs: wait };
    if (await check(tx)) return { ok: true };
    for (const b of buckets) await countFailureIn(tx, b.key, b.policy, now);
    return { ok: false, wrong: true };
  });
}
