import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bytesToBase64, decodeCanonicalBase64 } from "@/lib/activitypub/base64";

// The base64 of the MLS envelopes (lib/activitypub/base64.ts): written as
// Node's standard base64, and read back only in that one spelling.

const runs = (n: number) => Math.max(1, Math.round(n * Number(process.env.MOIETY_FUZZ_FACTOR ?? 1)));

describe("base64", () => {
  it("writes Node's standard base64 and reads it back, for any bytes, past the 32 KiB chunks of the encoder", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const text = bytesToBase64(bytes);
        expect(text).toBe(Buffer.from(bytes).toString("base64"));
        expect(decodeCanonicalBase64(text)).toEqual({ ok: true, bytes });
      }),
      { numRuns: runs(300) },
    );
    const large = Uint8Array.from({ length: 100_003 }, (_, i) => (i * 31) % 256);
    expect(bytesToBase64(large)).toBe(Buffer.from(large).toString("base64"));
  });

  it("refuses every other spelling of the same bytes, each with its reason", () => {
    expect(decodeCanonicalBase64("+/8=")).toEqual({ ok: true, bytes: new Uint8Array([0xfb, 0xff]) });
    expect(decodeCanonicalBase64("-_8=")).toEqual({ ok: false, error: "The content is URL-safe base64 (it has - or _); it must be standard base64, with + and /." });
    expect(decodeCanonicalBase64("+/8")).toEqual({ ok: false, error: "The content's base64 lacks its = padding." });
    expect(decodeCanonicalBase64("+/9=")).toEqual({ ok: false, error: "The content is not canonical base64 (its last character has stray bits)." });
    expect(decodeCanonicalBase64("+/ 8=")).toEqual({ ok: false, error: "The content has spaces or line breaks; its base64 must be one unbroken line." });
    expect(decodeCanonicalBase64("+/8=\n")).toEqual({ ok: false, error: "The content has spaces or line breaks; its base64 must be one unbroken line." });
    expect(decodeCanonicalBase64("+/8=AAAA")).toEqual({ ok: false, error: "The content is not base64." });
    expect(decodeCanonicalBase64("é")).toEqual({ ok: false, error: "The content is not base64." });
  });

  it("never throws, and what it accepts is exactly what the encoder writes", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(..."AB+/-_= \n8a"), maxLength: 12 }), (text) => {
        const read = decodeCanonicalBase64(text);
        if (read.ok) expect(bytesToBase64(read.bytes)).toBe(text);
      }),
      { numRuns: runs(1000) },
    );
  });
});
