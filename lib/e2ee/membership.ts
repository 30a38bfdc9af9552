// Who gets into a group: picking and checking KeyPackages, creating a group for
// a conversation, and the creator's adding of devices that appeared since
// (docs/E2EE.md, "Members" and "Commits": only the creator commits).
import { createCommit, createGroup, encodeMlsMessage, type ClientState, type KeyPackage, type MLSMessage } from "ts-mls";
import { bytesToBase64 } from "@/lib/activitypub/base64";
import type { EngineContext } from "./context";
import { checkPeerKeyPackage, generateKeyPackages, toHex, type DeviceRecord } from "./device";
import { actorsOf, initialAcks, loadGroup, membersOf, saveGroup } from "./groups";
import { R, type GroupMeta, type SendRecord } from "./records";
import { clientConfigFor, suite } from "./suite";
import { Batch } from "./vault";

/** Throttle for looking up new devices of a group's actors (docs/E2EE.md, "Commits"). */
export const DEVICE_CHECK_MS = 10 * 60 * 1000;

export type Picked = { keyPackages: KeyPackage[]; problems: { actor: string; reason: string }[] };

/**
 * One checked KeyPackage per distinct signature key per actor, leaving out
 * `skipKeys` (this device, and devices already in the group).
 */
export async function pickKeyPackages(ctx: EngineContext, device: DeviceRecord, actors: string[], skipKeys: Set<string>): Promise<Picked> {
  const impl = await suite();
  const found = await ctx.transport.keyPackagesOf({ deviceId: device.deviceId, actors });
  const picked: KeyPackage[] = [];
  const problems: Picked["problems"] = [];
  const seen = new Set(skipKeys);
  for (const peer of found) {
    if (!actors.includes(peer.actor)) continue; // only what we asked for
    if (!peer.supported) {
      problems.push({ actor: peer.actor, reason: peer.reason });
      continue;
    }
    let usable = 0;
    let lastReason = "The server has no KeyPackage for this actor.";
    for (const item of peer.keyPackages) {
      const checked = await checkPeerKeyPackage(item.content, peer.actor, ctx.now(), impl);
      if (!checked.ok) {
        lastReason = checked.reason;
        continue;
      }
      usable++;
      if (seen.has(checked.signatureKey)) continue;
      seen.add(checked.signatureKey);
      picked.push(checked.keyPackage);
    }
    if (usable === 0 && peer.actor !== ctx.owner) problems.push({ actor: peer.actor, reason: lastReason });
  }
  for (const actor of actors) if (actor !== ctx.owner && !found.some((p) => p.actor === actor)) problems.push({ actor, reason: "The server said nothing about this actor." });
  return { keyPackages: picked, problems };
}

const adds = (kps: KeyPackage[]) => kps.map((keyPackage) => ({ proposalType: "add" as const, add: { keyPackage } }));
const welcomeMessage = (welcome: NonNullable<Awaited<ReturnType<typeof createCommit>>["welcome"]>): MLSMessage => ({ version: "mls10", wireformat: "mls_welcome", welcome });

/**
 * A new group for `participants` holding every device of theirs and the
 * owner's other devices; this device is its creator. The caller saves it.
 */
export async function newGroup(ctx: EngineContext, device: DeviceRecord, participants: string[]): Promise<{ meta: GroupMeta; state: ClientState; welcome: string }> {
  const impl = await suite();
  const picked = await pickKeyPackages(ctx, device, [...participants, ctx.owner], new Set([device.publicKey]));
  if (picked.problems.length > 0) {
    throw new Error(`Cannot encrypt for ${picked.problems.map((p) => `${p.actor} (${p.reason})`).join(", ")}.`);
  }
  const [own] = await generateKeyPackages(device, 1, ctx.now(), impl);
  const groupId = globalThis.crypto.getRandomValues(new Uint8Array(16));
  const config = clientConfigFor([...participants, ctx.owner]);
  const created = await createGroup(groupId, own.publicPackage, own.privatePackage, [], impl, config);
  // Always the tree in the Welcome: the draft has no other way to carry it (docs/E2EE.md).
  const commit = await createCommit({ state: created, cipherSuite: impl }, { extraProposals: adds(picked.keyPackages), ratchetTreeExtension: true });
  if (!commit.welcome) throw new Error("The new group has no Welcome to send.");
  const meta: GroupMeta = {
    groupHex: toHex(groupId),
    conversationId: null,
    participants: [...participants].sort(),
    creator: true,
    lastDeviceCheck: ctx.now(),
    acked: await initialAcks(commit.newState, ctx.owner),
  };
  return { meta, state: commit.newState, welcome: bytesToBase64(encodeMlsMessage(welcomeMessage(commit.welcome))) };
}

/**
 * For each group this device created and has not checked for `minAgeMs` (10 minutes on a sync): add
 * the devices of its actors that are not members yet, in one commit sent as a
 * PublicMessage to everyone plus a Welcome. The state is saved before sending.
 */
export async function addNewDevices(ctx: EngineContext, device: DeviceRecord, metas: GroupMeta[], minAgeMs = DEVICE_CHECK_MS): Promise<void> {
  const impl = await suite();
  for (const candidate of metas) {
    if (!candidate.creator || ctx.now() - candidate.lastDeviceCheck < minAgeMs) continue;
    const group = await loadGroup(ctx.vault, candidate.groupHex, ctx.owner);
    if (!group) continue;
    const inGroup = new Set(membersOf(group.state).map((m) => m.signatureKey));
    inGroup.add(device.publicKey);
    const picked = await pickKeyPackages(ctx, device, actorsOf(group.meta, ctx.owner), inGroup);
    const meta: GroupMeta = { ...group.meta, lastDeviceCheck: ctx.now() };
    if (picked.keyPackages.length === 0) {
      await ctx.vault.commit(new Batch().put(R.group(meta.groupHex), meta));
      continue;
    }
    const commit = await createCommit(
      { state: group.state, cipherSuite: impl },
      { extraProposals: adds(picked.keyPackages), ratchetTreeExtension: true, wireAsPublicMessage: true },
    );
    if (!commit.welcome) continue;
    // The new epoch and the commit that leads others to it are saved together: if
    // the send fails, the next sync sends it again (sync.ts), rather than leaving
    // this device alone in an epoch nobody else can reach.
    const toSend: SendRecord = {
      recipients: meta.participants,
      envelopes: [
        { kind: "PublicMessage", content: bytesToBase64(encodeMlsMessage(commit.commit)), visible: false },
        { kind: "Welcome", content: bytesToBase64(encodeMlsMessage(welcomeMessage(commit.welcome))), visible: false },
      ],
    };
    const name = R.toSend(`${Date.now().toString().padStart(16, "0")}-${meta.groupHex}`);
    const batch = new Batch().put(name, toSend);
    saveGroup(batch, meta, commit.newState);
    await ctx.vault.commit(batch);
    await sendSaved(ctx, device, name, toSend).catch(() => undefined);
  }
}

/** Sends envelopes kept under `name` and forgets them once the server has them. */
export async function sendSaved(ctx: EngineContext, device: DeviceRecord, name: string, saved: SendRecord): Promise<void> {
  await ctx.transport.sendEnvelopes({ deviceId: device.deviceId, recipients: saved.recipients, envelopes: saved.envelopes });
  await ctx.vault.commit(new Batch().delete(name));
}
