// Applying one envelope of the owner's stream to this device's state
// (docs/E2EE.md, "Ordering" and "Application data"): join from a Welcome meant
// for one of our KeyPackages, decrypt a PrivateMessage and apply its activity,
// process a commit. Everything it changes goes into the caller's batch, so the
// envelope lands whole or not at all; what cannot be done yet says "wait".
import { decodeMlsMessage, emptyPskIndex, joinGroup, processPrivateMessage, processPublicMessage, type MLSMessage, type PrivateMessage, type Welcome } from "ts-mls";
import { decryptSenderData } from "ts-mls/privateMessage.js";
import { decodeCanonicalBase64 } from "@/lib/activitypub/base64";
import { htmlToText, readAppData } from "./app-data";
import type { EngineContext } from "./context";
import { openKeyPackageRecord, toHex, type DeviceRecord, type KeyPackageRecord } from "./device";
import { initialAcks, loadGroup, membersOf, saveGroup, type LoadedGroup } from "./groups";
import { R, type MessageRecord } from "./records";
import { clientConfigFor, identityOf, SUITE, suite } from "./suite";
import type { StreamEnvelope } from "./transport-types";
import type { Batch } from "./vault";

export type Applied = { kind: "applied" | "ignored" | "wait"; groupHex: string | null };

export function decodeEnvelope(envelope: StreamEnvelope): MLSMessage | null {
  const bytes = decodeCanonicalBase64(envelope.content);
  if (!bytes.ok) return null;
  try {
    return decodeMlsMessage(bytes.bytes, 0)?.[0] ?? null;
  } catch {
    return null;
  }
}

/** The group an envelope belongs to, when it says so in the clear (not a Welcome). */
export function groupHexOf(message: MLSMessage | null): string | null {
  if (message?.wireformat === "mls_private_message") return toHex(message.privateMessage.groupId);
  if (message?.wireformat === "mls_public_message") return toHex(message.publicMessage.content.groupId);
  return null;
}

export function markUnreadable(batch: Batch, envelope: StreamEnvelope, reason: string): void {
  if (envelope.messageId) batch.put(R.message(envelope.messageId), { state: "unreadable", reason } satisfies MessageRecord);
}

export const BEFORE_JOINING = "It was sent before this browser became one of your devices, so it holds no key for it. Your devices of that time can read it.";

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

export async function applyEnvelope(ctx: EngineContext, device: DeviceRecord, envelope: StreamEnvelope, batch: Batch): Promise<Applied> {
  const message = decodeEnvelope(envelope);
  const groupHex = groupHexOf(message);
  if (!message) {
    markUnreadable(batch, envelope, "The envelope does not hold an MLS message.");
    return { kind: "ignored", groupHex };
  }
  if (message.wireformat === "mls_welcome") return { kind: await applyWelcome(ctx, device, envelope, message.welcome, batch), groupHex };
  if (message.wireformat === "mls_private_message") return { kind: await applyPrivate(ctx, envelope, message.privateMessage, batch), groupHex };
  if (message.wireformat === "mls_public_message") {
    const group = await loadGroup(ctx.vault, groupHex!, ctx.owner);
    const epoch = message.publicMessage.content.epoch;
    if (!group || epoch > group.state.groupContext.epoch) return { kind: "wait", groupHex };
    // An older epoch: a commit we joined after, or saw already. Nothing to do.
    if (epoch < group.state.groupContext.epoch) return { kind: "ignored", groupHex };
    try {
      const result = await processPublicMessage(group.state, message.publicMessage, emptyPskIndex, await suite());
      saveGroup(batch, group.meta, result.newState);
      return { kind: "applied", groupHex };
    } catch {
      // A commit we cannot apply (forged, or from a fork) changes nothing here.
      return { kind: "ignored", groupHex };
    }
  }
  return { kind: "ignored", groupHex };
}

async function applyWelcome(ctx: EngineContext, device: DeviceRecord, envelope: StreamEnvelope, welcome: Welcome, batch: Batch): Promise<Applied["kind"]> {
  if (welcome.cipherSuite !== SUITE) return "ignored";
  let record: KeyPackageRecord | undefined;
  for (const secret of welcome.secrets) {
    const index = await ctx.vault.get<{ serverId: string }>(R.keyPackageRef(toHex(secret.newMember)));
    record = index && (await ctx.vault.get<KeyPackageRecord>(R.keyPackage(index.serverId)));
    if (record) break;
  }
  if (!record) return "ignored"; // a Welcome for another device
  // The KeyPackage is used up whether or not the join works.
  batch.delete(R.keyPackage(record.serverId)).delete(R.keyPackageRef(record.ref));
  batch.put(R.toRemoveKeyPackage(record.serverId), {});
  const allowed = [...envelope.participants, ctx.owner];
  const { publicPackage, privatePackage } = openKeyPackageRecord(record, device);
  let state;
  try {
    state = await joinGroup(welcome, publicPackage, privatePackage, emptyPskIndex, await suite(), undefined, undefined, clientConfigFor(allowed));
  } catch {
    return "ignored";
  }
  // The authentication service checked each leaf; this repeats it in one place a reader can see.
  if (membersOf(state).some((m) => !allowed.includes(m.actor))) return "ignored";
  const groupHex = toHex(state.groupContext.groupId);
  if (await ctx.vault.get(R.group(groupHex))) return "ignored";
  saveGroup(batch, {
    groupHex,
    conversationId: envelope.conversationId,
    participants: [...envelope.participants].sort(),
    creator: false,
    lastDeviceCheck: 0,
    acked: await initialAcks(state, ctx.owner),
    joinedEpoch: state.groupContext.epoch.toString(),
  }, state);
  return "applied";
}

/** The actor of the member that sent `pm`, read from the sender data of the state it was sent in. */
async function senderOf(group: LoadedGroup, pm: PrivateMessage): Promise<string | null> {
  const { state } = group;
  const historical = pm.epoch === state.groupContext.epoch ? null : state.historicalReceiverData.get(pm.epoch);
  const secret = historical ? historical.senderDataSecret : state.keySchedule.senderDataSecret;
  const tree = historical ? historical.ratchetTree : state.ratchetTree;
  const data = await decryptSenderData(pm, secret, await suite());
  const node = data ? tree[data.leafIndex * 2] : undefined;
  return node?.nodeType === "leaf" ? identityOf(node.leaf.credential) : null;
}

async function applyPrivate(ctx: EngineContext, envelope: StreamEnvelope, pm: PrivateMessage, batch: Batch): Promise<Applied["kind"]> {
  const group = await loadGroup(ctx.vault, toHex(pm.groupId), ctx.owner);
  if (!group || pm.epoch > group.state.groupContext.epoch) return "wait";
  if (group.meta.joinedEpoch !== undefined && pm.epoch < BigInt(group.meta.joinedEpoch)) {
    // MLS gives a new member no key for what was said before it joined: say so, not "tampered".
    markUnreadable(batch, envelope, BEFORE_JOINING);
    return "ignored";
  }
  let result;
  let sender: string | null;
  try {
    sender = await senderOf(group, pm);
    result = await processPrivateMessage(group.state, pm, emptyPskIndex, await suite());
  } catch (error) {
    markUnreadable(batch, envelope, `This message could not be decrypted or did not verify (${describe(error)}).`);
    return "ignored";
  }
  // The secret tree moved on (a key was used up): keep that even if the content is refused below.
  saveGroup(batch, group.meta, result.newState);
  if (result.kind !== "applicationMessage") return "applied";
  if (sender !== envelope.actorId) {
    markUnreadable(batch, envelope, `The message was sent as ${sender ?? "an unknown member"} but delivered as from ${envelope.actorId}.`);
    return "applied";
  }
  const data = readAppData(result.message);
  if (data.kind !== "unreadable" && data.kind !== "null" && data.actor !== null && data.actor !== sender) {
    markUnreadable(batch, envelope, "The message names an author other than its sender.");
    return "applied";
  }
  const hide = (messageId: string | null) => messageId && batch.put(R.toHide(messageId), {});
  switch (data.kind) {
    case "unreadable":
      markUnreadable(batch, envelope, data.reason);
      return "applied";
    case "null":
      hide(envelope.messageId);
      return "applied";
    case "create": {
      if (!envelope.messageId) return "applied";
      const record: MessageRecord = {
        state: "ok",
        noteId: data.noteId,
        html: data.html,
        text: htmlToText(data.html),
        authorActor: sender,
        conversationId: group.meta.conversationId ?? envelope.conversationId,
        groupHex: group.meta.groupHex,
        inReplyTo: data.inReplyTo,
        edited: false,
        deleted: false,
        images: data.images,
        summary: data.summary,
      };
      batch.put(R.message(envelope.messageId), record);
      // The first Note with an id keeps it: a later Create cannot take over another's Note.
      if (!(await ctx.vault.get(R.note(data.noteId)))) batch.put(R.note(data.noteId), { messageId: envelope.messageId });
      return "applied";
    }
    case "update":
    case "delete": {
      hide(envelope.messageId);
      const target = await ctx.vault.get<{ messageId: string }>(R.note(data.noteId));
      const old = target && (await ctx.vault.get<MessageRecord>(R.message(target.messageId)));
      // Only the Note's author may change it (docs/E2EE.md, "Application data").
      if (!target || !old || old.state !== "ok" || old.authorActor !== sender) return "applied";
      if (data.kind === "update") {
        batch.put(R.message(target.messageId), { ...old, html: data.html, text: htmlToText(data.html), edited: true });
      } else {
        batch.put(R.message(target.messageId), { ...old, html: "", text: "", images: [], deleted: true });
        hide(target.messageId);
      }
      return "applied";
    }
  }
}
