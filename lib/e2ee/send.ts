// Sending (docs/E2EE.md, "Application data" and "Own messages"): a new message
// in the conversation's group (made on first use), an edit or a delete of one
// of the owner's messages. The new group state and the plaintext are saved
// BEFORE the envelopes leave (two sends from one
// state reuse a generation); the server's ids are recorded after.
import { createApplicationMessage, encodeMlsMessage, type ClientState } from "ts-mls";
import { bytesToBase64 } from "@/lib/activitypub/base64";
import { buildCreate, buildDelete, buildUpdate, MAX_IMAGE_BYTES, MAX_IMAGES, MAX_SUMMARY, newNoteId, textToHtml, type EncryptedImage } from "./app-data";
import type { EngineContext } from "./context";
import type { DeviceRecord } from "./device";
import { loadGroup, saveGroup, type LoadedGroup } from "./groups";
import { newGroup } from "./membership";
import { R, type MessageRecord } from "./records";
import { suite } from "./suite";
import type { OutgoingEnvelope } from "./transport-types";
import { Batch } from "./vault";

async function encrypt(state: ClientState, data: Uint8Array): Promise<{ state: ClientState; content: string }> {
  const sent = await createApplicationMessage(state, data, await suite());
  const content = bytesToBase64(encodeMlsMessage({ version: "mls10", wireformat: "mls_private_message", privateMessage: sent.privateMessage }));
  return { state: sent.newState, content };
}

export function participantsOf(owner: string, recipients: string[]): string[] {
  const set = new Set(recipients.filter((r) => r !== owner));
  if (set.size === 0) throw new Error("An encrypted message needs at least one recipient other than you.");
  return [...set].sort();
}

export async function sendText(
  ctx: EngineContext,
  device: DeviceRecord,
  input: { recipients: string[]; text: string; inReplyTo?: string; images?: EncryptedImage[]; summary?: string },
): Promise<{ conversationId: string; messageId: string }> {
  const participants = participantsOf(ctx.owner, input.recipients);
  const images = input.images ?? [];
  if (input.text.trim() === "" && images.length === 0) throw new Error("The message is empty.");
  if (images.length > MAX_IMAGES) throw new Error(`Send at most ${MAX_IMAGES} pictures in one message.`);
  const imageBytes = images.reduce((sum, i) => sum + Math.floor((i.content.length * 3) / 4), 0);
  if (imageBytes > MAX_IMAGE_BYTES) {
    throw new Error(`The pictures are too large to encrypt together (${Math.ceil(imageBytes / 1024)} KB; at most ${MAX_IMAGE_BYTES / 1024} KB). Send fewer at a time.`);
  }
  const known = await ctx.vault.get<{ groupHex: string }>(R.peers(participants));
  let group: LoadedGroup | null = known ? await loadGroup(ctx.vault, known.groupHex, ctx.owner) : null;
  const envelopes: OutgoingEnvelope[] = [];
  if (!group) {
    const made = await newGroup(ctx, device, participants);
    group = { meta: made.meta, state: made.state };
    envelopes.push({ kind: "Welcome", content: made.welcome, visible: false });
  }
  const noteId = newNoteId();
  const summary = input.summary?.replace(/\s+/g, " ").trim() || undefined;
  if (summary && summary.length > MAX_SUMMARY) throw new Error(`A content warning has at most ${MAX_SUMMARY} characters.`);
  const sealed = await encrypt(group.state, buildCreate({ actor: ctx.owner, noteId, text: input.text, inReplyTo: input.inReplyTo, images, summary }));
  envelopes.push({ kind: "PrivateMessage", content: sealed.content, visible: true });
  const localId = globalThis.crypto.randomUUID();
  const draft: MessageRecord = {
    state: "ok",
    noteId,
    html: textToHtml(input.text),
    text: input.text,
    authorActor: ctx.owner,
    conversationId: group.meta.conversationId ?? "",
    groupHex: group.meta.groupHex,
    inReplyTo: input.inReplyTo ?? null,
    edited: false,
    deleted: false,
    images,
    summary: summary ?? null,
  };
  const before = new Batch().put(R.outgoing(localId), draft);
  saveGroup(before, group.meta, sealed.state);
  await ctx.vault.commit(before);

  let sent;
  try {
    sent = await ctx.transport.sendEnvelopes({ deviceId: device.deviceId, recipients: participants, envelopes });
  } catch (error) {
    // A group nobody received the Welcome for must not be reused: the next send makes a new one.
    if (!known) {
      await ctx.vault.commit(
        new Batch().delete(R.group(group.meta.groupHex)).delete(R.groupState(group.meta.groupHex)).delete(R.peers(participants)).delete(R.outgoing(localId)),
      );
    }
    throw error;
  }
  const messageId = sent.messageIds[envelopes.length - 1];
  if (!messageId) throw new Error("The server did not make a message for the encrypted envelope.");
  const after = new Batch()
    .delete(R.outgoing(localId))
    .put(R.message(messageId), { ...draft, conversationId: sent.conversationId })
    .put(R.note(noteId), { messageId })
    .put(R.group(group.meta.groupHex), { ...group.meta, conversationId: sent.conversationId })
    .put(R.conversation(sent.conversationId), { groupHex: group.meta.groupHex });
  await ctx.vault.commit(after);
  return { conversationId: sent.conversationId, messageId };
}

/** An edit (text) or a delete (null) of one of the owner's messages, sent as an invisible PrivateMessage. */
export async function changeMessage(ctx: EngineContext, device: DeviceRecord, messageId: string, text: string | null): Promise<void> {
  const old = await ctx.vault.get<MessageRecord>(R.message(messageId));
  if (!old || old.state !== "ok") throw new Error("This message is not one this device can read, so it cannot be changed.");
  if (old.authorActor !== ctx.owner) throw new Error("Only your own messages can be edited or deleted.");
  if (old.deleted) throw new Error("This message has been deleted.");
  if (text !== null && text.trim() === "") throw new Error("The message is empty.");
  const group = await loadGroup(ctx.vault, old.groupHex, ctx.owner);
  if (!group) throw new Error("This device is no longer in the conversation's encrypted group.");
  const data = text === null ? buildDelete({ actor: ctx.owner, noteId: old.noteId }) : buildUpdate({ actor: ctx.owner, noteId: old.noteId, text });
  const sealed = await encrypt(group.state, data);
  const changed: MessageRecord = text === null ? { ...old, html: "", text: "", images: [], deleted: true } : { ...old, html: textToHtml(text), text, edited: true };
  const batch = new Batch().put(R.message(messageId), changed);
  saveGroup(batch, group.meta, sealed.state);
  await ctx.vault.commit(batch);
  await ctx.transport.sendEnvelopes({
    deviceId: device.deviceId,
    recipients: group.meta.participants,
    envelopes: [{ kind: "PrivateMessage", content: sealed.content, visible: false }],
  });
  // The owner's own copy of a deleted message goes from the thread too.
  if (text === null) await ctx.transport.hideEnvelopeMessage({ messageId });
}
