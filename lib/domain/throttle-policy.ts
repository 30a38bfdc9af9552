// Pure throttling arithmetic; the database side lives in throttle.ts.

export type ThrottlePolicy = {
  /** Failures allowed before any delay applies. */
  freeFailures: number;
  /** Delay after the first counted failure, doubling with each further one. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Quiet time after which earlier failures are forgotten. */
  forgetAfterMs: number;
};

export const LOGIN_POLICY: ThrottlePolicy = {
  freeFailures: 3,
  baseDelayMs: 1_000,
  maxDelayMs: 15 * 60_000,
  forgetAfterMs: 24 * 60 * 60_000,
};

/** Per client bucket (an IPv4 address, an IPv6 /64): one stranger only locks themselves out. */
export const SETUP_CODE_POLICY: ThrottlePolicy = {
  freeFailures: 3,
  baseDelayMs: 2_000,
  maxDelayMs: 60 * 60_000,
  forgetAfterMs: 24 * 60 * 60_000,
};

/**
 * For everyone together, far higher: only guessing from hundreds of networks
 * reaches it (the code has 60 bits, so it is a ceiling, not the defence).
 */
export const SETUP_CODE_GLOBAL_POLICY: ThrottlePolicy = {
  freeFailures: 200,
  baseDelayMs: 1_000,
  maxDelayMs: 10 * 60_000,
  forgetAfterMs: 24 * 60 * 60_000,
};

export type ThrottleState = { failures: number; lastFailureAt: Date } | null;

/** The delay that follows `failures` failures. */
export function delayAfter(failures: number, policy: ThrottlePolicy): number {
  const counted = failures - policy.freeFailures;
  if (counted <= 0) return 0;
  return Math.min(policy.baseDelayMs * 2 ** (counted - 1), policy.maxDelayMs);
}

/** Milliseconds to wait before another attempt is allowed (0 = allowed now). */
export function waitMs(state: ThrottleState, now: Date, policy: ThrottlePolicy): number {
  if (!state) return 0;
  const since = now.getTime() - state.lastFailureAt.getTime();
  if (since >= policy.forgetAfterMs) return 0;
  return Math.max(0, delayAfter(state.failures, policy) - since);
}

/** The failure count to store after one more failure. */
export function nextFailures(state: ThrottleState, now: Date, policy: ThrottlePolicy): number {
  if (!state) return 1;
  const since = now.getTime() - state.lastFailureAt.getTime();
  return since >= policy.forgetAfterMs ? 1 : state.failures + 1;
}

export function describeWait(ms: number): string {
  const s = Math.ceil(ms / 1000);
  if (s < 90) return `${s} second${s === 1 ? "" : "s"}`;
  const m = Math.ceil(s / 60);
  return `${m} minutes`;
}
