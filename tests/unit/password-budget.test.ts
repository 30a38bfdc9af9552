import { describe, expect, it } from "vitest";
import { PASSWORD_CHECKS_BURST, PASSWORD_CHECKS_PER_SECOND, TokenBucket } from "@/lib/domain/password-budget";

describe("password check budget", () => {
  it("allows a burst, then refills at its rate, never above the burst", () => {
    let now = 0;
    const bucket = new TokenBucket(PASSWORD_CHECKS_PER_SECOND, PASSWORD_CHECKS_BURST, () => now);
    const takeAll = () => {
      let n = 0;
      while (bucket.take()) n++;
      return n;
    };
    expect(takeAll()).toBe(PASSWORD_CHECKS_BURST);
    now += 1000;
    expect(takeAll()).toBe(PASSWORD_CHECKS_PER_SECOND);
    now += 200;
    expect(takeAll()).toBe(1);
    now += 3_600_000;
    expect(takeAll()).toBe(PASSWORD_CHECKS_BURST);
  });

  it("holds a steady flood to the rate: 60 s of attempts every 10 ms", () => {
    let now = 0;
    const bucket = new TokenBucket(PASSWORD_CHECKS_PER_SECOND, PASSWORD_CHECKS_BURST, () => now);
    let allowed = 0;
    for (; now < 60_000; now += 10) if (bucket.take()) allowed++;
    expect(allowed).toBeLessThanOrEqual(PASSWORD_CHECKS_BURST + 60 * PASSWORD_CHECKS_PER_SECOND);
    expect(allowed).toBeGreaterThanOrEqual(60 * PASSWORD_CHECKS_PER_SECOND);
  });
});
