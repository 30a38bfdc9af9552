// The browser engine's public face (docs/E2EE.md, "Browser engine"): what the
// UI calls. Every change runs under the store's lock; reads go straight to the
// sealed records, which change only a whole envelope (or a whole send) at a
// time, so a read during a sync never sees half of one.
import type { EncryptedImage } from "./app-data";
import type { EngineContext } from "./context";
import { requireDevice } from "./context";
import {
  checkPeerKeyPackage,
  createSignatureKey,
  fingerprint as fingerprintOf,
  fromBase64,
  generateKeyPackages,
  keyPackageExpiry,
  keyPackageRecord,
  safetyNumber as safetyNumberOf,
  type DeviceRecord,
  type KeyPackageRecord,
} from "./device";
import { fingerprintsByActor, loadGroup } from "./groups";
import { addNewDevices } from "./membership";
import { R, type GroupMeta, type MessageRecord } from "./records";
import { changeMessage, participantsOf, sendText } from "./send";
import type { E2eeStore } from "./store";
import { suite } from "./suite";
import { flushServerCalls, syncStream } from "./sync";
import type { E2eeTransport } from "./transport-types";
import { Batch, Vault } from "./vault";

/** KeyPackages kept on the server: topped up to TARGET when fewer than LOW remain. */
export const KEY_PACKAGES_TARGET = 10;
export const KEY_PACKAGES_LOW = 5;
/** A KeyPackage with less than this left is taken off the server, so nobody picks one that expires before its Welcome is read. */
export const KEY_PACKAGE_RENEW_SECONDS = 7n * 86_400n;

export type MessageView =
  | { state: "ok"; text: string; authorActor: string; edited: boolean; deleted: boolean; images: EncryptedImage[]; summary: string | null }
  | { state: "unreadable"; reason: string }
  | { state: "unknown" };

export type ConversationView = { encrypted: boolean; members: { actor: string; fingerprints: string[] }[]; keyChanged: boolean };

export type E2eeEngine = {
  ensureDevice(): Promise<{ removed: boolean; deviceId: string | null }>;
  fingerprint(): Promise<string>;
  safetyNumber(peerActor: string): Promise<string | null>;
  canEncrypt(recipients: string[]): Promise<{ actor: string; supported: boolean; reason?: string }[]>;
  sendText(input: { recipients: string[]; text: string; inReplyTo?: string; images?: EncryptedImage[]; summary?: string }): Promise<{ conversationId: string; messageId: string }>;
  editText(messageId: string, text: string): Promise<void>;
  deleteMessage(messageId: string): Promise<void>;
  sync(): Promise<{ processed: number }>;
  messageView(messageId: string): Promise<MessageView>;
  conversationView(conversationId: string): Promise<ConversationView>;
  acknowledgeKeys(conversationId: string): Promise<void>;
  /**
   * When this device created the conversation's group and last looked more than
   * `minAgeMs` ago: add the participants' devices that appeared since (0 = now;
   * the safety-number screen does, so the numbers it shows are current).
   */
  checkDevices(conversationId: string, minAgeMs: number): Promise<void>;
  wipe(): Promise<void>;
};

export type EngineOptions = {
  transport: E2eeTransport;
  store: E2eeStore;
  ownerActor: string;
  deviceName: string;
  /** The clock, in ms; tests move it. */
  now?: () => number;
};

async function publishKeyPackages(ctx: EngineContext, device: DeviceRecord, count: number): Promise<void> {
  const fresh = await generateKeyPackages(device, count, ctx.now(), await suite());
  const { keyPackageIds } = await ctx.transport.publishKeyPackages({ deviceId: device.deviceId, keyPackages: fresh.map((k) => k.content) });
  const batch = new Batch();
  keyPackageIds.forEach((id, i) => batch.put(R.keyPackage(id), keyPackageRecord(id, fresh[i])).put(R.keyPackageRef(fresh[i].ref), { serverId: id }));
  await ctx.vault.commit(batch);
}

/**
 * KeyPackages near their end leave the server (and are replaced by the top-up
 * that follows); expired ones leave this browser too. Without this, a device
 * that had been registered for 30 days could no longer be added anywhere.
 */
async function renewKeyPackages(ctx: EngineContext, device: DeviceRecord): Promise<void> {
  const now = BigInt(Math.floor(ctx.now() / 1000));
  const batch = new Batch();
  for (const [name, record] of await ctx.vault.list<KeyPackageRecord>(R.keyPackage(""))) {
    const left = keyPackageExpiry(record) - now;
    if (left < 0n) batch.delete(name).delete(R.keyPackageRef(record.ref));
    if (!record.retired && left < KEY_PACKAGE_RENEW_SECONDS) {
      if (left >= 0n) batch.put(name, { ...record, retired: true });
      batch.put(R.toRemoveKeyPackage(record.serverId), {});
    }
  }
  await ctx.vault.commit(batch);
  await flushServerCalls(ctx, device);
}

type Registering = { draft: Omit<DeviceRecord, "deviceId">; packages: KeyPackageRecord[] };

/**
 * Keys first, then the server: the keys are saved before registerDevice is
 * sent, so a page closed while it is in flight retries with the same key and
 * KeyPackages, which the server answers with the same device and ids, instead
 * of leaving a device nobody holds the keys of.
 */
async function register(ctx: EngineContext): Promise<DeviceRecord> {
  let pending = await ctx.vault.get<Registering>(R.registering);
  if (!pending) {
    const impl = await suite();
    const keys = await createSignatureKey(impl);
    const draft = { actor: ctx.owner, name: ctx.deviceName, ...keys };
    const fresh = await generateKeyPackages(draft, KEY_PACKAGES_TARGET, ctx.now(), impl);
    pending = { draft, packages: fresh.map((k) => keyPackageRecord("", k)) };
    await ctx.vault.commit(new Batch().put(R.registering, pending));
  }
  const { draft, packages } = pending;
  const { deviceId, keyPackageIds } = await ctx.transport.registerDevice({ name: draft.name, signatureKey: draft.publicKey, keyPackages: packages.map((k) => k.publicPackage) });
  const device: DeviceRecord = { deviceId, ...draft };
  const batch = new Batch().put(R.device, device).delete(R.registering);
  keyPackageIds.forEach((id, i) => batch.put(R.keyPackage(id), { ...packages[i], serverId: id }).put(R.keyPackageRef(packages[i].ref), { serverId: id }));
  await ctx.vault.commit(batch);
  return device;
}

export function createE2eeEngine(options: EngineOptions): E2eeEngine {
  const vault = new Vault(options.store);
  const ctx: EngineContext = { transport: options.transport, vault, owner: options.ownerActor, deviceName: options.deviceName, now: options.now ?? (() => Date.now()) };
  const locked = <T>(fn: () => Promise<T>) => options.store.lock(fn);

  async function groupOfConversation(conversationId: string) {
    const index = await vault.get<{ groupHex: string }>(R.conversation(conversationId));
    return index ? loadGroup(vault, index.groupHex, ctx.owner) : null;
  }

  return {
    ensureDevice: () =>
      locked(async () => {
        const device = await vault.get<DeviceRecord>(R.device);
        if (!device) return { removed: false, deviceId: (await register(ctx)).deviceId };
        let status = await ctx.transport.deviceStatus({ deviceId: device.deviceId });
        if (!status.exists) {
          // Removed in Settings: its keys must not stay in this browser.
          await vault.wipe();
          return { removed: true, deviceId: null };
        }
        await renewKeyPackages(ctx, device);
        status = await ctx.transport.deviceStatus({ deviceId: device.deviceId });
        if (status.keyPackages < KEY_PACKAGES_LOW) await publishKeyPackages(ctx, device, KEY_PACKAGES_TARGET - status.keyPackages);
        return { removed: false, deviceId: device.deviceId };
      }),

    async fingerprint() {
      return fingerprintOf(fromBase64((await requireDevice(ctx)).publicKey));
    },

    async safetyNumber(peerActor) {
      const index = await vault.get<{ groupHex: string }>(R.peers([peerActor]));
      const group = index && (await loadGroup(vault, index.groupHex, ctx.owner));
      if (!group) return null;
      const sides = (await fingerprintsByActor(group.state)).filter((s) => s.actor === peerActor || s.actor === ctx.owner);
      return sides.length === 2 ? safetyNumberOf(sides) : null;
    },

    async canEncrypt(recipients) {
      const device = await requireDevice(ctx);
      const impl = await suite();
      const found = await ctx.transport.keyPackagesOf({ deviceId: device.deviceId, actors: recipients });
      return Promise.all(
        recipients.map(async (actor) => {
          const peer = found.find((p) => p.actor === actor);
          if (!peer) return { actor, supported: false, reason: "The server said nothing about this actor." };
          if (!peer.supported) return { actor, supported: false, reason: peer.reason };
          let reason = "The server has no KeyPackage for this actor.";
          for (const item of peer.keyPackages) {
            const checked = await checkPeerKeyPackage(item.content, actor, ctx.now(), impl);
            if (checked.ok) return { actor, supported: true };
            reason = checked.reason;
          }
          return { actor, supported: false, reason };
        }),
      );
    },

    sendText: (input) =>
      locked(async () => {
        participantsOf(ctx.owner, input.recipients);
        return sendText(ctx, await requireDevice(ctx), input);
      }),

    editText: (messageId, text) => locked(async () => changeMessage(ctx, await requireDevice(ctx), messageId, text)),

    deleteMessage: (messageId) => locked(async () => changeMessage(ctx, await requireDevice(ctx), messageId, null)),

    sync: () => locked(async () => syncStream(ctx, await requireDevice(ctx))),

    async messageView(messageId) {
      const record = await vault.get<MessageRecord>(R.message(messageId));
      if (!record) return { state: "unknown" };
      if (record.state === "unreadable") return record;
      return {
        state: "ok",
        text: record.text,
        authorActor: record.authorActor,
        edited: record.edited,
        deleted: record.deleted,
        images: record.images ?? [],
        summary: record.summary ?? null,
      };
    },

    async conversationView(conversationId) {
      const group = await groupOfConversation(conversationId);
      if (!group) return { encrypted: false, members: [], keyChanged: false };
      const members = await fingerprintsByActor(group.state);
      const keyChanged = members.some((m) => m.actor !== ctx.owner && (group.meta.acked[m.actor] ?? []).join() !== m.fingerprints.join());
      return { encrypted: true, members, keyChanged };
    },

    acknowledgeKeys: (conversationId) =>
      locked(async () => {
        const group = await groupOfConversation(conversationId);
        if (!group) return;
        const acked: GroupMeta["acked"] = {};
        for (const m of await fingerprintsByActor(group.state)) if (m.actor !== ctx.owner) acked[m.actor] = m.fingerprints;
        await vault.commit(new Batch().put(R.group(group.meta.groupHex), { ...group.meta, acked }));
      }),

    checkDevices: (conversationId, minAgeMs) =>
      locked(async () => {
        const group = await groupOfConversation(conversationId);
        if (group?.meta.creator) await addNewDevices(ctx, await requireDevice(ctx), [group.meta], minAgeMs);
      }),

    wipe: () => locked(() => vault.wipe()),
  };
}
