import { describe, expect, it } from "vitest";
import { createSealingKey, seal, SEAL_VERSION, SealError, unseal } from "@/lib/e2ee/seal";
import { createMemoryStore } from "@/lib/e2ee/store-memory";
import { Batch, Vault } from "@/lib/e2ee/vault";

describe("sealing", () => {
  it("a version byte, a fresh 12-byte IV, then AES-GCM; the key cannot be exported", async () => {
    const key = await createSealingKey();
    expect(key.extractable).toBe(false);
    await expect(crypto.subtle.exportKey("raw", key)).rejects.toThrow();
    const plain = new TextEncoder().encode("secret");
    const a = await seal(key, "r", plain);
    const b = await seal(key, "r", plain);
    expect(a[0]).toBe(SEAL_VERSION);
    expect(a.length).toBe(1 + 12 + plain.length + 16);
    expect(a.slice(1, 13)).not.toEqual(b.slice(1, 13));
    expect(await unseal(key, "r", a)).toEqual(plain);
  });

  it("a changed byte, another record's name, another version or a short record fail clearly", async () => {
    const key = await createSealingKey();
    const sealed = await seal(key, "group/1", new Uint8Array([1, 2, 3]));
    const flipped = sealed.slice();
    flipped[flipped.length - 1] ^= 1;
    await expect(unseal(key, "group/1", flipped)).rejects.toThrow(new SealError('The stored record "group/1" does not open with this browser\'s key: it was changed or damaged outside Moiety.'));
    await expect(unseal(key, "group/2", sealed)).rejects.toThrow(SealError);
    const versioned = sealed.slice();
    versioned[0] = 9;
    await expect(unseal(key, "group/1", versioned)).rejects.toThrow('The stored record "group/1" has format version 9, which this version of Moiety cannot read.');
    await expect(unseal(key, "group/1", sealed.slice(0, 20))).rejects.toThrow('The stored record "group/1" is too short to be a sealed record; it is damaged.');
    await expect(unseal(await createSealingKey(), "group/1", sealed)).rejects.toThrow(SealError);
  });

  it("the vault seals every record but the key, writes batches whole, lists by prefix", async () => {
    const store = createMemoryStore();
    const vault = new Vault(store);
    await vault.commit(new Batch().put("msg/1", { text: "plaintext here" }).put("msg/2", { text: "two" }).put("other", 1));
    expect(store.raw.get("sealing-key")).toBeInstanceOf(CryptoKey);
    for (const [name, value] of store.raw) if (name !== "sealing-key") expect(new TextDecoder().decode(value as Uint8Array)).not.toContain("plaintext");
    expect(await vault.list("msg/")).toEqual([["msg/1", { text: "plaintext here" }], ["msg/2", { text: "two" }]]);
    await vault.commit(new Batch().delete("msg/1").put("msg/3", { text: "three" }));
    expect((await vault.list("msg/")).map(([n]) => n)).toEqual(["msg/2", "msg/3"]);
    expect(await vault.get("msg/1")).toBeUndefined();
    await vault.wipe();
    expect(store.raw.size).toBe(0);
  });
});
