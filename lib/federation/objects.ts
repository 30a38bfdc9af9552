import { Note, type RequestContext } from "@fedify/fedify";
import { db } from "../db";
import { getOwner } from "../domain/owner";
import { verifiedSigner } from "./signer";

/**
 * The object dispatcher for our DMs. A DM is never public: the note is only
 * shown to a signed request from an actor it was sent to; anyone else gets
 * 404, as if it did not exist.
 */
export async function authorizedNote(ctx: RequestContext<void>, values: { identifier: string; id: string }): Promise<Note | null> {
  const owner = await getOwner();
  if (!owner || owner.username !== values.identifier) return null;
  const message = await db().message.findUnique({ where: { id: values.id }, include: { conversation: { include: { participants: true } } } });
  if (!message || message.direction !== "out" || message.deletedAt) return null;
  const signer = await verifiedSigner(ctx);
  if (!signer) return null;
  const allowed = message.conversation.participants.some((p) => p.actorId === signer.href);
  if (!allowed) return null;
  if (!message.objectJson) return null;
  return Note.fromJsonLd(JSON.parse(message.objectJson), { contextLoader: ctx.contextLoader, documentLoader: ctx.documentLoader });
}
