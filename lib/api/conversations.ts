import { db } from "../db";
import { markRead, setArchived } from "../domain/inbox";
import { requireToken } from "./auth";
import { conversationsOf, type ConversationRow } from "./conversation-entity";
import { api, ApiError, json } from "./http";
import { requireApiId } from "./ids";
import { pageAnswer, newestFirst, pageOf, pageSql } from "./paging";
import { readParams } from "./params";

// Conversations (docs.joinmastodon.org/methods/conversations). The list holds the owner's conversations that are not archived
// (the inbox and message requests), newest activity first, paged as Mastodon
// does by the id of each one's last status. Mastodon's DELETE only takes a
// conversation off that list, its statuses stay: here that is archiving it,
// and a new message brings it back, as in Mastodon.

type Context = { params: Promise<Record<string, string | string[]>> };

type ListedRow = ConversationRow & { lastApiId: bigint | number };

/** GET /api/v1/conversations */
export const listConversations = api(async (request) => {
  await requireToken(request, "read:statuses");
  const page = pageOf(await readParams(request));
  const sql = pageSql(`"lastApiId"`, page);
  // Each conversation's newest live message comes from the (conversationId, apiId) index, one probe each.
  const rows = await db().$queryRawUnsafe<ListedRow[]>(
    `SELECT * FROM (
       SELECT c."id", c."apiId", c."unreadCount",
              (SELECT m."apiId" FROM "Message" m WHERE m."conversationId" = c."id" AND m."deletedAt" IS NULL ORDER BY m."apiId" DESC LIMIT 1) AS "lastApiId"
         FROM "Conversation" c WHERE c."archived" = 0)
      WHERE "lastApiId" IS NOT NULL AND ${sql.where}
      ORDER BY ${sql.order} LIMIT ?`,
    ...sql.args,
    sql.limit,
  );
  const ordered = newestFirst(rows, page);
  const conversations = await conversationsOf(ordered);
  return pageAnswer(request, conversations, ordered.map((r) => String(r.lastApiId)));
});

async function listedOr404(context: Context): Promise<ConversationRow> {
  const apiId = requireApiId((await context.params).id);
  const rows = await db().$queryRawUnsafe<ConversationRow[]>(
    `SELECT "id", "apiId", "unreadCount" FROM "Conversation" WHERE "apiId" = ? AND "archived" = 0`,
    apiId,
  );
  if (!rows[0]) throw new ApiError(404, "Record not found");
  return rows[0];
}

/** POST /api/v1/conversations/:id/read */
export const readConversation = api(async (request, context) => {
  await requireToken(request, "write:conversations");
  const row = await listedOr404(context);
  await markRead(row.id);
  const [conversation] = await conversationsOf([{ ...row, unreadCount: 0 }]);
  return json(conversation);
});

/** DELETE /api/v1/conversations/:id: off the list (archived); the messages stay. */
export const removeConversation = api(async (request, context) => {
  await requireToken(request, "write:conversations");
  const row = await listedOr404(context);
  await setArchived(row.id, true);
  return json({});
});
