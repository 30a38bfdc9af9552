import type { RemoteDocument } from "@fedify/fedify";
import { describe, expect, it } from "vitest";
import { ContextCache } from "../../../lib/federation/context-cache";

// The in-memory cache of remote @context documents (lib/federation/context-cache.ts).

const doc = (url: string, size = 10): RemoteDocument => ({ contextUrl: null, documentUrl: url, document: { "@context": { pad: "x".repeat(size) } } });

describe("ContextCache", () => {
  it("fetches a URL once, also when many ask at the same time", async () => {
    const cache = new ContextCache();
    let fetches = 0;
    const load = async (url: string) => {
      fetches++;
      await new Promise((r) => setTimeout(r, 20));
      return doc(url);
    };
    const got = await Promise.all(Array.from({ length: 10 }, () => cache.get("https://a.example/ctx", load)));
    expect(got.every((d) => d.documentUrl === "https://a.example/ctx")).toBe(true);
    await cache.get("https://a.example/ctx", load);
    expect(fetches).toBe(1);
  });

  it("remembers a failure for a minute, then asks again", async () => {
    let now = 0;
    const cache = new ContextCache(() => now);
    let fetches = 0;
    const failing = async () => {
      fetches++;
      throw new Error("too large");
    };
    await expect(cache.get("https://b.example/huge", failing)).rejects.toThrow("too large");
    await expect(cache.get("https://b.example/huge", failing)).rejects.toThrow("too large");
    expect(fetches).toBe(1);
    now += 61_000;
    await expect(cache.get("https://b.example/huge", failing)).rejects.toThrow("too large");
    expect(fetches).toBe(2);
  });

  it("keeps at most 64 contexts and 4 MiB, dropping the least recently used", async () => {
    const cache = new ContextCache();
    const load = async (url: string) => doc(url);
    for (let i = 0; i < 100; i++) await cache.get(`https://c.example/${i}`, load);
    expect(cache.size).toBe(64);
    const big = async (url: string) => doc(url, 1024 * 1024);
    for (let i = 0; i < 6; i++) await cache.get(`https://d.example/${i}`, big);
    expect(cache.size).toBeLessThanOrEqual(4);
  });
});
