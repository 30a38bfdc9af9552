import { randomBytes } from "node:crypto";
import { decodeCanonicalBase64 } from "../activitypub/base64";
import { keyPackageCiphersuite, mlsBytesProblem } from "../activitypub/mls";
import { db, writeTransaction } from "../db";
import type { DeviceInfo, KeyPackageItem } from "../e2ee/transport-types";
import { actorUrl } from "../federation/paths";
import { getOwner } from "./owner";

// The owner's MLS devices (browsers holding keys, docs/E2EE.md) and the
// KeyPackages they publish. The server keeps public keys only: a device's
// Ed25519 signature key and its KeyPackages, served to anyone who wants to
// start an encrypted conversation with the owner (lib/federation/mls-routes.ts).

/** A refusal in plain words, for the device and the person behind it. */
export class E2eeError extends Error {}

export const SUITE = "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519";
export const MAX_DEVICES = 10;
export const MAX_KEY_PACKAGES_PER_DEVICE = 50;
/** A ts-mls KeyPackage of our suite is about 320 bytes; 4 KiB leaves room for extensions. */
export const MAX_KEY_PACKAGE_BYTES = 4096;
const MAX_NAME = 100;

/** Random ids, URL-safe: they appear in KeyPackage URLs. */
export function randomId(): string {
  return randomBytes(16).toString("base64url");
}

/** The bytes of canonical base64, or an E2eeError saying what is wrong with `what`. */
export function decodeOrRefuse(content: string, what: string): Uint8Array {
  const decoded = decodeCanonicalBase64(content);
  if (!decoded.ok) throw new E2eeError(`${what}: ${decoded.error}`);
  return decoded.bytes;
}

/** Why this text cannot be published as one of our KeyPackages, or null. */
export function keyPackageProblem(content: string): string | null {
  try {
    const bytes = decodeOrRefuse(content, "The KeyPackage");
    if (bytes.length > MAX_KEY_PACKAGE_BYTES) return `The KeyPackage is ${bytes.length} bytes; at most ${MAX_KEY_PACKAGE_BYTES} are accepted.`;
    const problem = mlsBytesProblem("KeyPackage", bytes);
    if (problem) return problem;
    const suite = keyPackageCiphersuite(bytes);
    if (suite !== SUITE) return `The KeyPackage uses ${suite ?? "an unknown cipher suite"}; Moiety uses only ${SUITE}.`;
    return null;
  } catch (error) {
    if (error instanceof E2eeError) return error.message;
    throw error;
  }
}

function checkKeyPackages(contents: string[]): void {
  contents.forEach((content, i) => {
    const problem = keyPackageProblem(content);
    if (problem) throw new E2eeError(contents.length > 1 ? `KeyPackage ${i + 1}: ${problem}` : problem);
  });
}

/** An Ed25519 public key: 32 bytes, canonical base64. */
function checkSignatureKey(key: string): void {
  const bytes = decodeOrRefuse(key, "The signature key");
  if (bytes.length !== 32) throw new E2eeError(`The signature key is ${bytes.length} bytes; an Ed25519 public key is 32.`);
}

async function ownerName(): Promise<string> {
  const owner = await getOwner();
  if (!owner) throw new E2eeError("This instance has no owner yet; run setup first.");
  return owner.username;
}

export const keyPackagesUrl = (username: string) => `${actorUrl(username)}/key_packages`;
export const keyPackageUrl = (username: string, id: string) => `${keyPackagesUrl(username)}/${id}`;

/** The device, seen now; an E2eeError when it was removed (the device should learn it through deviceStatus). */
export async function requireDevice(deviceId: string) {
  const device = await db().mlsDevice.findUnique({ where: { id: deviceId } });
  if (!device) throw new E2eeError("This browser is no longer registered for encrypted messages; it was removed in Settings.");
  await db().mlsDevice.update({ where: { id: deviceId }, data: { lastSeenAt: new Date() } });
  return device;
}

/** Store KeyPackages for a device inside `tx`, within the cap; their ids in order. */
async function addKeyPackages(tx: Parameters<Parameters<typeof writeTransaction>[0]>[0], deviceId: string, contents: string[]): Promise<string[]> {
  // A KeyPackage this device already published (a retried registration whose answer was lost) keeps its id.
  const known = new Map(
    (await tx.mlsKeyPackage.findMany({ where: { deviceId, content: { in: contents } }, select: { id: true, content: true } })).map((k) => [k.content, k.id]),
  );
  const fresh = contents.filter((c) => !known.has(c));
  const held = await tx.mlsKeyPackage.count({ where: { deviceId } });
  if (held + fresh.length > MAX_KEY_PACKAGES_PER_DEVICE) {
    throw new E2eeError(`A browser may publish at most ${MAX_KEY_PACKAGES_PER_DEVICE} KeyPackages; this one has ${held} and sent ${fresh.length}.`);
  }
  // One by one: createdAt order is the order they were sent in.
  const base = Date.now();
  const ids: string[] = [];
  for (let i = 0; i < contents.length; i++) {
    let id = known.get(contents[i]);
    if (!id) {
      id = randomId();
      known.set(contents[i], id);
      await tx.mlsKeyPackage.create({ data: { id, deviceId, content: contents[i], createdAt: new Date(base + i) } });
    }
    ids.push(id);
  }
  return ids;
}

export async function registerDevice(input: { name: string; signatureKey: string; keyPackages: string[] }): Promise<{ deviceId: string; keyPackageIds: string[] }> {
  const name = input.name.trim().slice(0, MAX_NAME) || "A browser";
  checkSignatureKey(input.signatureKey);
  checkKeyPackages(input.keyPackages);
  return writeTransaction(async (tx) => {
    // The same key again is the same browser retrying a registration whose answer it lost.
    const existing = await tx.mlsDevice.findUnique({ where: { signatureKey: input.signatureKey } });
    if (!existing && (await tx.mlsDevice.count()) >= MAX_DEVICES) {
      throw new E2eeError(`At most ${MAX_DEVICES} browsers can hold encrypted messages; remove one in Settings first.`);
    }
    const device = existing
      ? await tx.mlsDevice.update({ where: { id: existing.id }, data: { lastSeenAt: new Date() } })
      : await tx.mlsDevice.create({ data: { id: randomId(), name, signatureKey: input.signatureKey } });
    return { deviceId: device.id, keyPackageIds: await addKeyPackages(tx, device.id, input.keyPackages) };
  });
}

export async function deviceStatus(input: { deviceId: string }): Promise<{ exists: boolean; keyPackages: number }> {
  const { count } = await db().mlsDevice.updateMany({ where: { id: input.deviceId }, data: { lastSeenAt: new Date() } });
  if (count === 0) return { exists: false, keyPackages: 0 };
  return { exists: true, keyPackages: await db().mlsKeyPackage.count({ where: { deviceId: input.deviceId } }) };
}

export async function publishKeyPackages(input: { deviceId: string; keyPackages: string[] }): Promise<{ keyPackageIds: string[]; total: number }> {
  await requireDevice(input.deviceId);
  if (input.keyPackages.length === 0) throw new E2eeError("Send at least one KeyPackage.");
  checkKeyPackages(input.keyPackages);
  return writeTransaction(async (tx) => {
    const keyPackageIds = await addKeyPackages(tx, input.deviceId, input.keyPackages);
    return { keyPackageIds, total: await tx.mlsKeyPackage.count({ where: { deviceId: input.deviceId } }) };
  });
}

/** Unpublish one KeyPackage (a Welcome consumed it). Takes its id or its URL; an unknown one is already gone. */
export async function removeKeyPackage(input: { deviceId: string; keyPackageId: string }): Promise<{ total: number }> {
  await requireDevice(input.deviceId);
  const id = input.keyPackageId.slice(input.keyPackageId.lastIndexOf("/") + 1);
  await db().mlsKeyPackage.deleteMany({ where: { id, deviceId: input.deviceId } });
  return { total: await db().mlsKeyPackage.count({ where: { deviceId: input.deviceId } }) };
}

/** Forget a device and its KeyPackages (Settings). Groups it was in keep it until their creator removes it. */
export async function removeDevice(input: { deviceId: string }): Promise<Record<string, never>> {
  const { count } = await db().mlsDevice.deleteMany({ where: { id: input.deviceId } });
  if (count === 0) throw new E2eeError("That browser is not registered (any more).");
  return {};
}

export async function listDevices(): Promise<DeviceInfo[]> {
  const devices = await db().mlsDevice.findMany({ orderBy: { createdAt: "asc" }, include: { _count: { select: { keyPackages: true } } } });
  return devices.map((d) => ({
    id: d.id,
    name: d.name,
    signatureKey: d.signatureKey,
    createdAt: d.createdAt.toISOString(),
    lastSeenAt: d.lastSeenAt.toISOString(),
    keyPackages: d._count.keyPackages,
  }));
}

/** Every published KeyPackage, oldest first: the public collection. */
export async function publishedKeyPackages(): Promise<{ id: string; content: string; createdAt: Date }[]> {
  return db().mlsKeyPackage.findMany({ orderBy: [{ createdAt: "asc" }, { id: "asc" }], select: { id: true, content: true, createdAt: true } });
}

export async function publishedKeyPackage(id: string) {
  return db().mlsKeyPackage.findUnique({ where: { id } });
}

/** The KeyPackages of the owner's devices other than `deviceId`, as keyPackagesOf answers for the owner's own actor. */
export async function ownOtherKeyPackages(deviceId: string): Promise<KeyPackageItem[]> {
  const username = await ownerName();
  const rows = await db().mlsKeyPackage.findMany({ where: { deviceId: { not: deviceId } }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
  return rows.map((r) => ({ id: keyPackageUrl(username, r.id), content: r.content }));
}
