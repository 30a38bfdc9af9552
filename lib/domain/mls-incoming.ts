import { participantKey } from "../activitypub/conversation";
import type { IncomingEnvelope } from "../activitypub/mls-inbox";
import { writeTransaction } from "../db";
import { ENCRYPTED_HTML } from "./encrypted-placeholder";
import { createConversationSteps, findConversationSteps, ownerKnowsSteps, storeIncomingSteps } from "./incoming-store";
import { read, runAsync, write, type Steps } from "./sql-steps";

// What an incoming MLS envelope writes (docs/E2EE.md), as SQL steps run by the
// fast inbox worker inside its batch and by Fedify's listener through Prisma,
// like lib/domain/incoming-store.ts. A PrivateMessage is stored as an incoming
// DM would be — unread count, notification (and so push), message request from
// a stranger — by the same steps, with the placeholder instead of a text.
// The other kinds only join the owner's envelope stream.

/** Store an envelope once; a repeat of the same object id is ignored. */
export function* storeIncomingEnvelopeSteps(e: IncomingEnvelope, now = new Date()): Steps<{ created: boolean; conversationId: string | null }> {
  const existing = yield read(`SELECT "conversationId" FROM "MlsEnvelope" WHERE "objectId" = ?`, e.objectId);
  if (existing[0]) return { created: false, conversationId: String(existing[0].conversationId) };
  let conversationId: string;
  let messageId: string | null = null;
  if (e.kind === "PrivateMessage") {
    const stored = yield* storeIncomingSteps(
      {
        objectId: e.objectId,
        authorId: e.authorId,
        participants: e.participants,
        refs: [],
        inReplyTo: null,
        html: ENCRYPTED_HTML,
        text: "",
        summary: null,
        sensitive: false,
        attachments: [],
        published: e.published,
        encrypted: true,
      },
      now,
    );
    conversationId = stored.conversationId;
    // A Message with this object id that is not ours to link (a plaintext DM reusing the id) stays unlinked.
    if (stored.created) messageId = stored.messageId;
  } else {
    const key = participantKey(e.participants);
    const found = yield* findConversationSteps([], key);
    conversationId = found?.id ?? (yield* createConversationSteps(e.participants, key, e.published, !(yield* ownerKnowsSteps(e.authorId)), now));
  }
  yield write(
    `INSERT INTO "MlsEnvelope" ("objectId", "kind", "direction", "actorId", "conversationId", "senderDevice", "messageId", "content", "createdAt")
     VALUES (?, ?, 'in', ?, ?, NULL, ?, ?, ?)`,
    e.objectId,
    e.kind,
    e.authorId,
    conversationId,
    messageId,
    e.content,
    now,
  );
  return { created: true, conversationId };
}

/** The listener's way in (Prisma), one transaction. */
export async function storeIncomingEnvelope(e: IncomingEnvelope): Promise<{ created: boolean }> {
  return writeTransaction((tx) => runAsync(tx, storeIncomingEnvelopeSteps(e)));
}
