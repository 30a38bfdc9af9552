import { throttleBucket } from "../client-address";
import { PASSWORD_BUSY, takePasswordCheck } from "./password-budget";
import { clearThrottle, reserveAttempt } from "./throttle";
import { LOGIN_POLICY, describeWait } from "./throttle-policy";

// Every password check (login, and the current password when changing it) goes
// through here: the attempt is counted against the client's bucket before the
// slow argon2 check, in one transaction with the throttle's check
// (lib/domain/throttle.ts), and only when the process-wide budget has room.

export type PasswordCheck<T> = { ok: true; value: T } | { ok: false; wrong: true } | { ok: false; refused: string };

export function loginThrottleKey(clientAddress: string): string {
  return `login:${throttleBucket(clientAddress)}`;
}

/** Run `check` (null = wrong password) under the login throttle of `clientAddress`. */
export async function throttledPasswordCheck<T>(clientAddress: string, check: () => Promise<T | null>): Promise<PasswordCheck<T>> {
  const key = loginThrottleKey(clientAddress);
  const reservation = await reserveAttempt(key, LOGIN_POLICY, { admit: takePasswordCheck });
  if (!reservation.ok) {
    return { ok: false, refused: "busy" in reservation ? PASSWORD_BUSY : `Too many failed attempts. Try again in ${describeWait(reservation.waitMs)}.` };
  }
  const value = await check();
  if (value === null) return { ok: false, wrong: true };
  // The right password forgets this bucket's failures, the reserved one included.
  await clearThrottle(key);
  return { ok: true, value };
}
