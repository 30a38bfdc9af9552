import { describe, expect, it } from "vitest";
import { LOGIN_POLICY, SETUP_CODE_GLOBAL_POLICY, SETUP_CODE_POLICY, delayAfter, describeWait, nextFailures, waitMs } from "@/lib/domain/throttle-policy";

const t0 = new Date("2026-01-01T00:00:00Z");
const after = (ms: number) => new Date(t0.getTime() + ms);

describe("login throttling", () => {
  it("lets the first three failures through without delay", () => {
    expect(delayAfter(1, LOGIN_POLICY)).toBe(0);
    expect(delayAfter(3, LOGIN_POLICY)).toBe(0);
    expect(waitMs({ failures: 3, lastFailureAt: t0 }, t0, LOGIN_POLICY)).toBe(0);
  });

  it("grows the delay with every further failure, up to a cap", () => {
    const delays = [4, 5, 6, 7, 30].map((f) => delayAfter(f, LOGIN_POLICY));
    expect(delays.slice(0, 4)).toEqual([1000, 2000, 4000, 8000]);
    expect(delays[4]).toBe(LOGIN_POLICY.maxDelayMs);
  });

  it("counts the wait from the last failure", () => {
    const state = { failures: 6, lastFailureAt: t0 };
    expect(waitMs(state, after(1000), LOGIN_POLICY)).toBe(3000);
    expect(waitMs(state, after(4000), LOGIN_POLICY)).toBe(0);
  });

  it("forgets failures after a quiet day", () => {
    const state = { failures: 40, lastFailureAt: t0 };
    const later = after(LOGIN_POLICY.forgetAfterMs);
    expect(waitMs(state, later, LOGIN_POLICY)).toBe(0);
    expect(nextFailures(state, later, LOGIN_POLICY)).toBe(1);
    expect(nextFailures(state, after(10), LOGIN_POLICY)).toBe(41);
    expect(nextFailures(null, t0, LOGIN_POLICY)).toBe(1);
  });

  it("throttles setup-code guesses harder than logins", () => {
    expect(delayAfter(6, SETUP_CODE_POLICY)).toBeGreaterThan(delayAfter(6, LOGIN_POLICY));
    expect(delayAfter(100, SETUP_CODE_POLICY)).toBe(60 * 60_000);
  });

  it("keeps the setup code's global ceiling far above one address's limit", () => {
    expect(SETUP_CODE_GLOBAL_POLICY.freeFailures).toBeGreaterThanOrEqual(50 * SETUP_CODE_POLICY.freeFailures);
    expect(delayAfter(SETUP_CODE_GLOBAL_POLICY.freeFailures, SETUP_CODE_GLOBAL_POLICY)).toBe(0);
    expect(SETUP_CODE_GLOBAL_POLICY.maxDelayMs).toBeLessThan(SETUP_CODE_POLICY.maxDelayMs);
  });

  it("describes waits in words", () => {
    expect(describeWait(1)).toBe("1 second");
    expect(describeWait(30_000)).toBe("30 seconds");
    expect(describeWait(15 * 60_000)).toBe("15 minutes");
  });
});
