import { db } from "../db";

// What the owner's web UI changes in a conversation (read, archived, accepted,
// deleted), and the fingerprint open pages watch to refresh. What it shows is
// read in conversation-list.ts and thread-page.ts.

export async function markRead(id: string): Promise<void> {
  // Every thread page load calls this; usually nothing is unread and nothing is written.
  await db().$executeRawUnsafe(`UPDATE "Conversation" SET "unreadCount" = 0 WHERE "id" = ? AND "unreadCount" > 0`, id);
}

export async function setArchived(id: string, archived: boolean): Promise<void> {
  await db().conversation.updateMany({ where: { id }, data: { archived } });
}

export async function acceptRequest(id: string): Promise<void> {
  await db().conversation.updateMany({ where: { id }, data: { isRequest: false } });
}

/** Delete a conversation here (only here: the other servers keep their copies). */
export async function deleteConversation(id: string): Promise<void> {
  await db().conversation.deleteMany({ where: { id } });
}

/**
 * A fingerprint of everything the UI shows; when it changes, open pages
 * refresh. Every open page asks once a second, so each part is an index
 * probe, not a scan: max(rowid) for new messages (messages only go away with
 * their conversation, which the Conversation part sees), max(id) for new
 * deliveries (never deleted), and max() of indexed timestamps for edits,
 * deletions and delivery state changes; max(seq) for new MLS envelopes (a
 * device decrypting in an open page needs to know of them).
 */
export async function changeFingerprint(): Promise<string> {
  const rows = await db().$queryRawUnsafe<{ m: unknown; d: unknown; c: unknown; u: unknown; f: unknown }[]>(
    `SELECT
       (SELECT coalesce(max(rowid), 0) FROM Message) || ':' || (SELECT coalesce(max(updated), '') FROM Message) || ':' || (SELECT coalesce(max(deletedAt), '') FROM Message)
         || ':' || (SELECT coalesce(max(seq), 0) FROM MlsEnvelope) AS m,
       (SELECT coalesce(max(id), 0) FROM Delivery) || ':' || (SELECT coalesce(max(updatedAt), '') FROM Delivery) AS d,
       (SELECT count(*) || ':' || coalesce(sum(unreadCount), 0) || ':' || coalesce(sum(isRequest), 0) || ':' || coalesce(sum(archived), 0) FROM Conversation) AS c,
       (SELECT count(*) || ':' || coalesce(max(createdAt), '') FROM Follow) AS f,
       (SELECT coalesce(sum(state = 'accepted'), 0) FROM Follow) AS u`,
  );
  const r = rows[0];
  return [r.m, r.d, r.c, r.f, r.u].map(String).join("|");
}
