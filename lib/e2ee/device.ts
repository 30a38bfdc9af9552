// This device's identity and KeyPackages (docs/E2EE.md, "Credential"): one
// Ed25519 signature key shared by all of the device's KeyPackages, a basic
// credential naming the owner's actor, fingerprints and safety numbers, and the
// checks a peer's KeyPackage must pass before we add it to a group.
import { decodeMlsMessage, encodeMlsMessage, type CiphersuiteImpl, type KeyPackage, type PrivateKeyPackage } from "ts-mls";
import { generateKeyPackageWithKey, makeKeyPackageRef, verifyKeyPackage } from "ts-mls/keyPackage.js";
import { bytesToBase64, decodeCanonicalBase64 } from "@/lib/activitypub/base64";
import { capabilities, credentialOf, identityOf, LIFETIME_SECONDS, newLifetime, SUITE } from "./suite";

/** The sealed "device" record. Keys are canonical base64. */
export type DeviceRecord = { deviceId: string; actor: string; name: string; publicKey: string; signKey: string };

/** A sealed "kp/<server id>" record: one unused KeyPackage and its private keys. */
/** `ref` is the KeyPackageRef in hex, as a Welcome names the KeyPackage it is for. */
export type KeyPackageRecord = {
  serverId: string;
  ref: string;
  publicPackage: string;
  initPrivateKey: string;
  hpkePrivateKey: string;
  /** Taken off the server as it neared expiry; its keys stay for a Welcome already on its way (engine.ts). */
  retired?: boolean;
};

export const toHex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

export function fromBase64(text: string): Uint8Array {
  const read = decodeCanonicalBase64(text);
  if (!read.ok) throw new Error(`A stored key is not valid base64: ${read.error}`);
  return read.bytes;
}

export async function createSignatureKey(impl: CiphersuiteImpl): Promise<{ publicKey: string; signKey: string }> {
  const pair = await impl.signature.keygen();
  return { publicKey: bytesToBase64(pair.publicKey), signKey: bytesToBase64(pair.signKey) };
}

/** The MLSMessage bytes a KeyPackage travels as (docs/E2EE.md: content = base64 of the MLSMessage). */
export const keyPackageMessage = (keyPackage: KeyPackage) => encodeMlsMessage({ version: "mls10", wireformat: "mls_key_package", keyPackage });

export type FreshKeyPackage = { content: string; ref: string; publicPackage: KeyPackage; privatePackage: PrivateKeyPackage };

/** New KeyPackages signed with this device's key, valid for 30 days from `nowMs`. */
export async function generateKeyPackages(device: Omit<DeviceRecord, "deviceId">, count: number, nowMs: number, impl: CiphersuiteImpl): Promise<FreshKeyPackage[]> {
  const keys = { publicKey: fromBase64(device.publicKey), signKey: fromBase64(device.signKey) };
  const out: FreshKeyPackage[] = [];
  for (let i = 0; i < count; i++) {
    const { publicPackage, privatePackage } = await generateKeyPackageWithKey(credentialOf(device.actor), capabilities(), newLifetime(nowMs), [], keys, impl);
    const ref = toHex(await makeKeyPackageRef(publicPackage, impl.hash));
    out.push({ content: bytesToBase64(keyPackageMessage(publicPackage)), ref, publicPackage, privatePackage });
  }
  return out;
}

export function keyPackageRecord(serverId: string, fresh: FreshKeyPackage): KeyPackageRecord {
  return {
    serverId,
    ref: fresh.ref,
    publicPackage: fresh.content,
    initPrivateKey: bytesToBase64(fresh.privatePackage.initPrivateKey),
    hpkePrivateKey: bytesToBase64(fresh.privatePackage.hpkePrivateKey),
  };
}

/** When a KeyPackage of ours stops being valid (Unix seconds). */
export function keyPackageExpiry(record: KeyPackageRecord): bigint {
  const decoded = decodeMlsMessage(fromBase64(record.publicPackage), 0)?.[0];
  if (!decoded || decoded.wireformat !== "mls_key_package") throw new Error("A stored KeyPackage could not be read back.");
  return decoded.keyPackage.leafNode.lifetime.notAfter;
}

/** The record's KeyPackage again, with the device's signature key in its private part. */
export function openKeyPackageRecord(record: KeyPackageRecord, device: DeviceRecord): { publicPackage: KeyPackage; privatePackage: PrivateKeyPackage } {
  const decoded = decodeMlsMessage(fromBase64(record.publicPackage), 0)?.[0];
  if (!decoded || decoded.wireformat !== "mls_key_package") throw new Error("A stored KeyPackage could not be read back.");
  return {
    publicPackage: decoded.keyPackage,
    privatePackage: { initPrivateKey: fromBase64(record.initPrivateKey), hpkePrivateKey: fromBase64(record.hpkePrivateKey), signaturePrivateKey: fromBase64(device.signKey) },
  };
}

export type CheckedKeyPackage = { ok: true; keyPackage: KeyPackage; signatureKey: string } | { ok: false; reason: string };

/**
 * A KeyPackage the server handed us for `actor`, checked as docs/E2EE.md asks of
 * the browser: MLS 1.0, suite 1, a basic credential naming exactly that actor,
 * a lifetime that covers now and is no longer than ours, and a valid signature.
 */
export async function checkPeerKeyPackage(content: string, actor: string, nowMs: number, impl: CiphersuiteImpl): Promise<CheckedKeyPackage> {
  const bytes = decodeCanonicalBase64(content);
  if (!bytes.ok) return { ok: false, reason: `The KeyPackage is not readable: ${bytes.error}` };
  let decoded;
  try {
    decoded = decodeMlsMessage(bytes.bytes, 0)?.[0];
  } catch {
    decoded = undefined;
  }
  if (!decoded || decoded.wireformat !== "mls_key_package") return { ok: false, reason: "The KeyPackage is not an MLS KeyPackage." };
  const kp = decoded.keyPackage;
  if (kp.version !== "mls10" || kp.cipherSuite !== SUITE) return { ok: false, reason: "The KeyPackage uses a cipher suite Moiety does not." };
  const identity = identityOf(kp.leafNode.credential);
  if (identity !== actor) return { ok: false, reason: `The KeyPackage's credential names ${identity ?? "no actor"}, not ${actor}.` };
  if (kp.leafNode.leafNodeSource !== "key_package") return { ok: false, reason: "The KeyPackage's leaf is not a KeyPackage leaf." };
  const now = BigInt(Math.floor(nowMs / 1000));
  const { notBefore, notAfter } = kp.leafNode.lifetime;
  if (notBefore > now || notAfter < now) return { ok: false, reason: "The KeyPackage has expired or is not valid yet." };
  if (notAfter - notBefore > LIFETIME_SECONDS + 120n) return { ok: false, reason: "The KeyPackage claims a lifetime longer than 30 days." };
  if (!(await verifyKeyPackage(kp, impl.signature))) return { ok: false, reason: "The KeyPackage's signature does not verify." };
  return { ok: true, keyPackage: kp, signatureKey: bytesToBase64(kp.leafNode.signaturePublicKey) };
}

/** 60 decimal digits of a 256-bit digest, as 12 groups of 5 (the digest's value mod 10^60). */
function digits60(digest: ArrayBuffer): string {
  const value = BigInt(`0x${toHex(new Uint8Array(digest))}`) % 10n ** 60n;
  const text = value.toString().padStart(60, "0");
  return text.match(/.{5}/g)!.join(" ");
}

/** SHA-256 of the Ed25519 public key, shown as 12 groups of 5 digits. */
export async function fingerprint(publicKey: Uint8Array): Promise<string> {
  return digits60(await globalThis.crypto.subtle.digest("SHA-256", publicKey.slice()));
}

/**
 * One number both people compute alike: each side is an actor and its sorted
 * device fingerprints; the two sides are sorted, so it does not depend on who
 * asks.
 */
export async function safetyNumber(sides: { actor: string; fingerprints: string[] }[]): Promise<string> {
  const lines = sides.map((s) => `${s.actor}\n${[...s.fingerprints].sort().join("\n")}`).sort();
  return digits60(await globalThis.crypto.subtle.digest("SHA-256", new TextEncoder().encode(`moiety-safety-number-v1\n\n${lines.join("\n\n")}`)));
}
