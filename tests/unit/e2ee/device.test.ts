import { describe, expect, it } from "vitest";
import { bytesToBase64 } from "@/lib/activitypub/base64";
import { checkPeerKeyPackage, createSignatureKey, fingerprint, generateKeyPackages, safetyNumber } from "@/lib/e2ee/device";
import { suite } from "@/lib/e2ee/suite";

const ALICE = "https://a.example/users/alice";
const BOB = "https://b.example/users/bob";
const DAY = 86_400_000;

describe("device identity", () => {
  it("a fingerprint is 12 groups of 5 digits, fixed for a key", async () => {
    const key = new Uint8Array(32).fill(7);
    const print = await fingerprint(key);
    expect(print).toMatch(/^(\d{5} ){11}\d{5}$/);
    expect(await fingerprint(key.slice())).toBe(print);
    expect(await fingerprint(new Uint8Array(32).fill(8))).not.toBe(print);
  });

  it("a safety number depends on both sides' devices, not on who asks or in what order", async () => {
    const a = { actor: ALICE, fingerprints: ["11111", "22222"] };
    const b = { actor: BOB, fingerprints: ["33333"] };
    const n = await safetyNumber([a, b]);
    expect(n).toMatch(/^(\d{5} ){11}\d{5}$/);
    expect(await safetyNumber([b, { actor: ALICE, fingerprints: ["22222", "11111"] }])).toBe(n);
    expect(await safetyNumber([a, { actor: BOB, fingerprints: ["33333", "44444"] }])).not.toBe(n);
  });

  it("KeyPackages share the device's signature key and pass the peer checks; others do not", async () => {
    const impl = await suite();
    const keys = await createSignatureKey(impl);
    const now = Date.now();
    const [one, two] = await generateKeyPackages({ actor: ALICE, name: "x", ...keys }, 2, now, impl);
    expect(bytesToBase64(one.publicPackage.leafNode.signaturePublicKey)).toBe(keys.publicKey);
    expect(bytesToBase64(two.publicPackage.leafNode.signaturePublicKey)).toBe(keys.publicKey);
    expect(one.publicPackage.leafNode.capabilities.ciphersuites).toEqual(["MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519"]);
    expect(await checkPeerKeyPackage(one.content, ALICE, now, impl)).toMatchObject({ ok: true, signatureKey: keys.publicKey });
    expect(await checkPeerKeyPackage(one.content, BOB, now, impl)).toEqual({ ok: false, reason: `The KeyPackage's credential names ${ALICE}, not ${BOB}.` });
    expect(await checkPeerKeyPackage(one.content, ALICE, now + 31 * DAY, impl)).toEqual({ ok: false, reason: "The KeyPackage has expired or is not valid yet." });
    expect(await checkPeerKeyPackage("not base64!", ALICE, now, impl)).toEqual({ ok: false, reason: "The KeyPackage is not readable: The content is not base64." });
    const forged = Buffer.from(one.content, "base64");
    forged[forged.length - 3] ^= 1; // inside the signature
    expect(await checkPeerKeyPackage(forged.toString("base64"), ALICE, now, impl)).toEqual({ ok: false, reason: "The KeyPackage's signature does not verify." });
  });
});
