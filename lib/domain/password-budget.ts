// A process-wide ceiling on password verifications. One argon2id check costs
// ~30 ms of CPU and 19 MiB (lib/domain/password.ts); the per-address throttle
// stops one address from guessing, but many addresses at once could still keep
// the CPU busy hashing. A token bucket: `perSecond` checks on average, up to
// `burst` at once.

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly perSecond: number,
    readonly burst: number,
    private readonly clock: () => number = Date.now,
  ) {
    this.tokens = burst;
    this.last = clock();
  }

  /** Take one token if there is one. */
  take(): boolean {
    const now = this.clock();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** At most ~5 argon2 checks a second (about 15% of one core), 10 at once. */
export const PASSWORD_CHECKS_PER_SECOND = 5;
export const PASSWORD_CHECKS_BURST = 10;

export const PASSWORD_BUSY = "Too many login attempts right now; try again in a minute.";

// On globalThis: Next may load this module more than once in one process, and
// the ceiling is for the process.
const holder = globalThis as unknown as { moietyPasswordBudget?: TokenBucket };

/** Take one password check from the process-wide budget. */
export function takePasswordCheck(): boolean {
  holder.moietyPasswordBudget ??= new TokenBucket(PASSWORD_CHECKS_PER_SECOND, PASSWORD_CHECKS_BURST);
  return holder.moietyPasswordBudget.take();
}
