import { generateKeyPairSync, type KeyObject } from "node:crypto";

// Actor keys, kept as JWK in the database (Fedify imports JWK directly).

export type JwkPair = { algorithm: "RSASSA-PKCS1-v1_5" | "Ed25519"; publicJwk: string; privateJwk: string };

function toJwk(key: KeyObject, alg?: string): string {
  // Web Crypto (and Fedify's importJwk) needs `alg` on RSA keys to know the hash.
  return JSON.stringify({ ...key.export({ format: "jwk" }), ...(alg ? { alg } : {}) });
}

/** RSA-2048 for HTTP signatures (what every fediverse server verifies). */
export function generateRsaKeyPair(): JwkPair {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, publicExponent: 0x10001 });
  return { algorithm: "RSASSA-PKCS1-v1_5", publicJwk: toJwk(publicKey, "RS256"), privateJwk: toJwk(privateKey, "RS256") };
}

/** Ed25519 for object integrity proofs (FEP-8b32). */
export function generateEd25519KeyPair(): JwkPair {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  return { algorithm: "Ed25519", publicJwk: toJwk(publicKey), privateJwk: toJwk(privateKey) };
}
