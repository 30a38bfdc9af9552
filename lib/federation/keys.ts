import { importJwk } from "@fedify/fedify";
import { db } from "../db";
import { generateEd25519KeyPair, generateRsaKeyPair } from "../domain/keys";

// Key pairs for Fedify, RSA first: Fedify names the first key "#main-key",
// the id Mastodon and everyone else look for.

export type CryptoKeyPairs = { privateKey: CryptoKey; publicKey: CryptoKey }[];

const ORDER = ["RSASSA-PKCS1-v1_5", "Ed25519"];

/**
 * Fedify asks for the key pairs on every inbox POST and every queued message;
 * reading and importing four JWKs each time was 10–15 % of the CPU per DM.
 * Keys change only at setup (the owner's are made then), so a short memo is
 * safe; it also makes the instance actor's first key generation happen once
 * even when twenty first POSTs arrive together.
 */
const MAX_AGE_MS = 5 * 60_000;
type Cached = { promise: Promise<CryptoKeyPairs>; loadedAt: number };
const shared = ((globalThis as { __moietyKeyPairs?: Map<string, Cached> }).__moietyKeyPairs ??= new Map());

export function loadKeyPairs(actor: "owner" | "instance"): Promise<CryptoKeyPairs> {
  const cached = shared.get(actor);
  if (cached && Date.now() - cached.loadedAt < MAX_AGE_MS) return cached.promise;
  const promise = readKeyPairs(actor);
  shared.set(actor, { promise, loadedAt: Date.now() });
  // Neither a failure nor "no owner yet" is remembered: setup may be moments away.
  promise.then(
    (pairs) => {
      if (pairs.length === 0 && shared.get(actor)?.promise === promise) shared.delete(actor);
    },
    () => {
      if (shared.get(actor)?.promise === promise) shared.delete(actor);
    },
  );
  return promise;
}

async function readKeyPairs(actor: "owner" | "instance"): Promise<CryptoKeyPairs> {
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
