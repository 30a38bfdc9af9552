"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { fail, ok, type ActionFailure, type ActionResult } from "@/lib/action-result";
import { requireOwner } from "@/lib/auth";
import { proxiedMediaUrl } from "@/lib/domain/media-proxy-url";
import { addBlock, ownerFollows, getFollow } from "@/lib/domain/contacts";
import type { NewAttachment } from "@/lib/domain/attachments";
import { getConversation } from "@/lib/domain/conversations";
import { acceptRequest, deleteConversation, markRead, setArchived } from "@/lib/domain/inbox";
import { ownMessageText } from "@/lib/domain/thread-page";
import { retryDelivery } from "@/lib/federation/outbound/delivery";
import { LookupError, resolveActor } from "@/lib/federation/lookup";
import { deleteDirectMessage, editDirectMessage, MAX_DM_TEXT, sendDirectMessage } from "@/lib/domain/direct-messages";
import { blockActor } from "@/lib/domain/follows";
import { SendError } from "@/lib/domain/sending";

// Every action checks the owner itself (requireOwner), parses its input with
// zod, and answers a refusal (lib/action-result.ts) with a sentence instead of throwing.

function failure(err: unknown): ActionFailure {
  if (err instanceof SendError || err instanceof LookupError) return fail(err.message);
  console.error("messages action failed:", err);
  return fail("Something went wrong on the server. Nothing was sent; please try again.");
}

const textSchema = z.string().max(MAX_DM_TEXT, `A message has at most ${MAX_DM_TEXT} characters.`);
const warningSchema = z.string().max(500, "A content warning has at most 500 characters.");
const idSchema = z.string().min(1).max(100);

export type Recipient = {
  id: string;
  handle: string;
  name: string;
  server: string;
  /** Their avatar through our media proxy (their server never sees the owner's address). */
  avatarUrl: string | null;
  followsYou: boolean;
  youFollow: boolean;
};

export async function resolveRecipientAction(input: string): Promise<ActionResult<Recipient>> {
  await requireOwner();
  const parsed = z.string().trim().min(1, "Type an address like @name@server.example.").max(500).safeParse(input);
  if (!parsed.success) return fail(parsed.error.issues[0].message);
  try {
    const a = await resolveActor(parsed.data);
    const follow = await getFollow("in", a.id);
    return ok({
      id: a.id,
      handle: a.handle ?? a.id,
      name: a.name ?? a.handle ?? a.id,
      server: a.host,
      avatarUrl: a.iconUrl ? proxiedMediaUrl(a.iconUrl) : null,
      followsYou: follow?.state === "accepted",
      youFollow: await ownerFollows(a.id),
    });
  } catch (err) {
    return failure(err);
  }
}

/** Images and their alt texts from a compose form (fields "image" and "alt", in order). */
async function attachmentsFrom(form: FormData): Promise<NewAttachment[]> {
  const files = form.getAll("image").filter((f): f is File => f instanceof File && f.size > 0);
  const alts = form.getAll("alt").map((a) => (typeof a === "string" ? a : ""));
  return Promise.all(files.map(async (f, i) => ({ bytes: new Uint8Array(await f.arrayBuffer()), alt: alts[i] ?? "" })));
}

const str = (form: FormData, key: string) => {
  const v = form.get(key);
  return typeof v === "string" ? v : "";
};

export async function sendNewMessageAction(form: FormData): Promise<ActionResult<string>> {
  await requireOwner();
  const input = { to: form.getAll("to").filter((v): v is string => typeof v === "string"), text: str(form, "text"), summary: str(form, "summary") };
  const parsed = z.object({ to: z.array(z.string().min(1)).min(1, "Add at least one recipient.").max(20), text: textSchema, summary: warningSchema }).safeParse(input);
  if (!parsed.success) return fail(parsed.error.issues[0].message);
  try {
    const sent = await sendDirectMessage({ to: parsed.data.to, text: parsed.data.text, summary: parsed.data.summary, attachments: await attachmentsFrom(form) });
    revalidatePath("/messages");
    return ok(sent.conversationId);
  } catch (err) {
    return failure(err);
  }
}

export async function replyAction(form: FormData): Promise<ActionResult<string>> {
  await requireOwner();
  const parsed = z
    .object({ conversationId: idSchema, text: textSchema, summary: warningSchema })
    .safeParse({ conversationId: str(form, "conversationId"), text: str(form, "text"), summary: str(form, "summary") });
  if (!parsed.success) return fail(parsed.error.issues[0].message);
  try {
    const sent = await sendDirectMessage({ conversationId: parsed.data.conversationId, text: parsed.data.text, summary: parsed.data.summary, attachments: await attachmentsFrom(form) });
    revalidatePath(`/messages/${parsed.data.conversationId}`);
    return ok(sent.messageId);
  } catch (err) {
    return failure(err);
  }
}

/** The text to start an edit from: fetched when Edit is pressed, so every thread page does not carry each message twice. */
export async function messageTextAction(messageId: string): Promise<ActionResult<string>> {
  await requireOwner();
  const parsed = idSchema.safeParse(messageId);
  if (!parsed.success) return fail("No such message.");
  const text = await ownMessageText(parsed.data);
  return text === null ? fail("This message can no longer be edited.") : ok(text);
}

export async function editMessageAction(input: { messageId: string; text: string }): Promise<ActionResult> {
  await requireOwner();
  const parsed = z.object({ messageId: idSchema, text: textSchema }).safeParse(input);
  if (!parsed.success) return fail(parsed.error.issues[0].message);
  try {
    await editDirectMessage(parsed.data.messageId, parsed.data.text);
    return ok();
  } catch (err) {
    return failure(err);
  }
}

export async function deleteMessageAction(messageId: string): Promise<ActionResult> {
  await requireOwner();
  const parsed = idSchema.safeParse(messageId);
  if (!parsed.success) return fail("No such message.");
  try {
    await deleteDirectMessage(parsed.data);
    return ok();
  } catch (err) {
    return failure(err);
  }
}

export async function retryDeliveryAction(deliveryId: number): Promise<ActionResult> {
  await requireOwner();
  const parsed = z.number().int().positive().safeParse(deliveryId);
  if (!parsed.success) return fail("No such delivery.");
  const retried = await retryDelivery(parsed.data);
  return retried ? ok() : fail("That delivery is not failed (any more).");
}

export async function archiveAction(conversationId: string, archived: boolean): Promise<ActionResult> {
  await requireOwner();
  const parsed = z.object({ id: idSchema, archived: z.boolean() }).safeParse({ id: conversationId, archived });
  if (!parsed.success) return fail("No such conversation.");
  await setArchived(parsed.data.id, parsed.data.archived);
  revalidatePath("/messages");
  return ok();
}

export async function acceptRequestAction(conversationId: string): Promise<ActionResult> {
  await requireOwner();
  const parsed = idSchema.safeParse(conversationId);
  if (!parsed.success) return fail("No such conversation.");
  await acceptRequest(parsed.data);
  revalidatePath("/messages");
  return ok();
}

export async function deleteConversationAction(conversationId: string): Promise<ActionResult> {
  await requireOwner();
  const parsed = idSchema.safeParse(conversationId);
  if (!parsed.success) return fail("No such conversation.");
  await deleteConversation(parsed.data);
  revalidatePath("/messages");
  return ok();
}

/** Block everyone else in a conversation (a request's sender), or their whole server(s). */
export async function blockSenderAction(conversationId: string, scope: "account" | "domain"): Promise<ActionResult> {
  await requireOwner();
  const parsed = z.object({ id: idSchema, scope: z.enum(["account", "domain"]) }).safeParse({ id: conversationId, scope });
  if (!parsed.success) return fail("No such conversation.");
  const conversation = await getConversation(parsed.data.id);
  if (!conversation) return fail("No such conversation.");
  try {
    for (const { actorId } of conversation.participants) {
      if (parsed.data.scope === "account") await blockActor(actorId);
      else await addBlock("domain", new URL(actorId).host);
    }
    await deleteConversation(parsed.data.id);
    revalidatePath("/messages");
    return ok();
  } catch (err) {
    return failure(err);
  }
}

export async function markReadAction(conversationId: string): Promise<ActionResult> {
  await requireOwner();
  const parsed = idSchema.safeParse(conversationId);
  if (!parsed.success) return fail("No such conversation.");
  await markRead(parsed.data);
  return ok();
}
