import { db, writeTransaction } from "../db";
import { nextFailures, waitMs, type ThrottlePolicy } from "./throttle-policy";

/** Milliseconds until `key` may try again. */
export async function throttleWait(key: string, policy: ThrottlePolicy, now = new Date()): Promise<number> {
  const row = await db().throttle.findUnique({ where: { key } });
  return waitMs(row, now, policy);
}

export async function recordFailure(key: string, policy: ThrottlePolicy, now = new Date()): Promise<void> {
  await writeTransaction(async (tx) => {
    const row = await tx.throttle.findUnique({ where: { key } });
    const failures = nextFailures(row, now, policy);
    await tx.throttle.upsert({
      where: { key },
      create: { key, failures, lastFailureAt: now },
      update: { failures, lastFailureAt: now },
    });
  });
}

export async function clearThrottle(key: string): Promise<void> {
  await db().throttle.deleteMany({ where: { key } });
}
