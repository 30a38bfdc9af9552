import { importJwk } from "@fedify/fedify";
import { db } from "../db";
import { generateEd25519KeyPair, generateRsaKeyPair } from "../domain/keys";

// Key pairs for Fedify, RSA first: Fedify names the first key "#main-key",
// the id Mastodon and everyone else look for.

export type CryptoKeyPairs = { privateKey: CryptoKey; publicKey: CryptoKey }[];

const ORDER = ["RSASSA-PKCS1-v1_5", "Ed25519"];

export async function loadKeyPairs(actor: "owner" | "instance"): Promise<CryptoKeyPairs> {
  let rows = await db().keyPair.findMany({ where: { actor } });
  if (rows.length === 0 && actor === "instance") {
    // The instance actor's keys are made the first time anything needs them.
    for (const k of [generateRsaKeyPair(), generateEd25519KeyPair()]) {
      await db().keyPair.upsert({
        where: { actor_algorithm: { actor, algorithm: k.algorithm } },
        create: { actor, ...k },
        update: {},
      });
    }
    rows = await db().keyPair.findMany({ where: { actor } });
  }
  rows.sort((a, b) => ORDER.indexOf(a.algorithm) - ORDER.indexOf(b.algorithm));
  return Promise.all(
    rows.map(async (r) => ({
      privateKey: await importJwk(JSON.parse(r.privateJwk), "private"),
      publicKey: await importJwk(JSON.parse(r.publicJwk), "public"),
    })),
  );
}
