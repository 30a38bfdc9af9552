import { db } from "../db";
import { getOwner } from "../domain/owner";
import { actorUrl } from "../federation/paths";
import { accountsByActor, type AccountEntity } from "./accounts";
import { apiIdString } from "./ids";
import { STATUS_COLUMNS, statusesOf, type StatusEntity, type StatusRow } from "./status-entity";

// Mastodon's Conversation entity (docs.joinmastodon.org/entities/Conversation):
// `accounts` are the other people only (Ice Cubes builds a reply's mentions
// from them), `last_status` the newest message that is not deleted: newest by
// API id, the order the conversations list pages in (lib/api/conversations.ts).

export type ConversationRow = { id: string; apiId: bigint | number; unreadCount: bigint | number };

export type ConversationEntity = { id: string; unread: boolean; accounts: AccountEntity[]; last_status: StatusEntity | null };

function marks(n: number): string {
  return Array.from({ length: n }, () => "?").join(", ");
}

/** Conversation entities for rows, in the rows' order, in a few queries. */
export async function conversationsOf(rows: ConversationRow[]): Promise<ConversationEntity[]> {
  if (rows.length === 0) return [];
  const owner = await getOwner();
  if (!owner) return [];
  const me = actorUrl(owner.username);
  const ids = rows.map((r) => r.id);
  const participantRows = await db().$queryRawUnsafe<{ conversationId: string; actorId: string }[]>(
    `SELECT "conversationId", "actorId" FROM "ConversationParticipant" WHERE "conversationId" IN (${marks(ids.length)})`,
    ...ids,
  );
  const lastRows = await db().$queryRawUnsafe<StatusRow[]>(
    `SELECT ${STATUS_COLUMNS} FROM "Message" m
      WHERE m."id" IN (SELECT (SELECT l."id" FROM "Message" l WHERE l."conversationId" = c."id" AND l."deletedAt" IS NULL ORDER BY l."apiId" DESC LIMIT 1)
                         FROM "Conversation" c WHERE c."id" IN (${marks(ids.length)}))`,
    ...ids,
  );
  const statuses = await statusesOf(lastRows);
  const lastOf = new Map(lastRows.map((r, i) => [r.conversationId, statuses[i]]));
  const accounts = await accountsByActor(participantRows.map((p) => p.actorId).filter((a) => a !== me));
  return rows.map((r) => ({
    id: apiIdString(r.apiId),
    unread: Number(r.unreadCount) > 0,
    accounts: participantRows.filter((p) => p.conversationId === r.id && p.actorId !== me).map((p) => accounts.get(p.actorId)!),
    last_status: lastOf.get(r.id) ?? null,
  }));
}
