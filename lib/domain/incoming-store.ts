import { participantKey, type ThreadRef } from "../activitypub/conversation";
import type { DmValues } from "../activitypub/incoming";
import { newId } from "./ids";
import { read, toDate, write, type Steps } from "./sql-steps";

// What an incoming DM, edit or delete writes, as SQL steps (lib/domain/sql-steps.ts)
// that the fast inbox worker runs on its own connection inside its batch
// transaction and the Fedify path runs through Prisma. Everything else an
// incoming DM causes follows from these rows, by triggers in the same
// transaction: the search index (MessageSearch, migration 20261127001316),
// the Mastodon API ids (20261202160000) and the Web Push queue rows of the
// notification (PushDelivery, 20261202191000). Open pages and the streaming
// API see the new rows on their next look at the database (lib/federation/change-stream.ts).
//
// Grouping follows lib/activitypub/conversation.ts: context/conversation
// first, then the inReplyTo chain, always for the same participant set;
// failing those, the newest conversation with exactly these people (a
// messenger keeps one chat per group of people).

const MAX_TEXT = 100_000;

/** An incoming DM as lib/activitypub/incoming.ts reads it (attachments as the caller has them). */
export type IncomingMessage = Omit<DmValues, "attachments"> & {
  attachments: unknown[];
  /**
   * A stranger: neither followed by the owner nor written to before. Only
   * matters when the DM starts a conversation; left out, it is worked out
   * then (inside the transaction) from the author.
   */
  isRequest?: boolean;
  /** An MLS PrivateMessage's row (lib/domain/mls-incoming.ts): html is the placeholder, text empty. */
  encrypted?: boolean;
};

export type Stored = { messageId: string; conversationId: string; created: boolean };

/** The conversation these refs (in order) or, failing them, these people lead to, and the context/conversation URI that matched. */
export function* findConversationSteps(refs: ThreadRef[], key: string): Steps<{ id: string; via: string | null } | null> {
  for (const ref of refs) {
    if (ref.kind === "inReplyTo") {
      const parent = yield read(
        `SELECT c."id" FROM "Message" m JOIN "Conversation" c ON c."id" = m."conversationId" WHERE m."objectId" = ? AND c."participantKey" = ?`,
        ref.id,
        key,
      );
      if (parent[0]) return { id: String(parent[0].id), via: null };
    } else {
      const hit = yield read(
        `SELECT r."conversationId" AS "id" FROM "ConversationRef" r JOIN "Conversation" c ON c."id" = r."conversationId"
          WHERE r."uri" = ? AND c."participantKey" = ? LIMIT 1`,
        ref.id,
        key,
      );
      if (hit[0]) return { id: String(hit[0].id), via: ref.id };
    }
  }
  const byPeople = yield read(`SELECT "id" FROM "Conversation" WHERE "participantKey" = ? ORDER BY "lastMessageAt" DESC LIMIT 1`, key);
  return byPeople[0] ? { id: String(byPeople[0].id), via: null } : null;
}

/** Does the owner follow this actor (accepted or asked), or has the owner written in a conversation with them? */
export function* ownerKnowsSteps(actorId: string): Steps<boolean> {
  const rows = yield read(
    `SELECT EXISTS (SELECT 1 FROM "Follow" WHERE "direction" = 'out' AND "actorId" = ?)
         OR EXISTS (SELECT 1 FROM "ConversationParticipant" p JOIN "Message" m ON m."conversationId" = p."conversationId"
                     WHERE p."actorId" = ? AND m."direction" = 'out') AS "known"`,
    actorId,
    actorId,
  );
  return Number(rows[0]?.known ?? 0) === 1;
}

export function* createConversationSteps(participants: string[], key: string, at: Date, isRequest: boolean, now: Date): Steps<string> {
  const id = newId();
  yield write(
    `INSERT INTO "Conversation" ("id", "participantKey", "lastMessageAt", "unreadCount", "isRequest", "archived", "createdAt") VALUES (?, ?, ?, 0, ?, 0, ?)`,
    id,
    key,
    at,
    isRequest,
    now,
  );
  for (const actorId of new Set(participants)) {
    yield write(`INSERT INTO "ConversationParticipant" ("conversationId", "actorId") VALUES (?, ?)`, id, actorId);
  }
  return id;
}

export function* addRefsSteps(conversationId: string, uris: string[]): Steps<void> {
  for (const uri of uris) {
    yield write(`INSERT INTO "ConversationRef" ("uri", "conversationId") VALUES (?, ?) ON CONFLICT DO NOTHING`, uri, conversationId);
  }
}

/** Store an incoming DM once; a repeat of the same object id is ignored. */
export function* storeIncomingSteps(m: IncomingMessage, now = new Date()): Steps<Stored> {
  const key = participantKey(m.participants);
  const existing = yield read(`SELECT "id", "conversationId" FROM "Message" WHERE "objectId" = ?`, m.objectId);
  if (existing[0]) return { messageId: String(existing[0].id), conversationId: String(existing[0].conversationId), created: false };
  const found = yield* findConversationSteps(m.refs, key);
  const conversationId = found?.id ?? (yield* createConversationSteps(m.participants, key, m.published, m.isRequest ?? !(yield* ownerKnowsSteps(m.authorId)), now));
  yield* addRefsSteps(
    conversationId,
    m.refs.filter((r) => r.kind !== "inReplyTo" && r.id !== found?.via).map((r) => r.id),
  );
  const id = newId();
  // The Mastodon API id is given here, as the Message_apiId trigger would set
  // it (migration 20261202160000): the trigger's UPDATE would write the new row
  // a second time.
  yield write(
    `INSERT INTO "Message" ("id", "conversationId", "objectId", "direction", "authorId", "inReplyTo", "html", "text", "summary", "sensitive", "attachments", "published", "createdAt", "encrypted", "apiId")
     VALUES (?, ?, ?, 'in', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
             max(CAST(round((julianday('now') - 2440587.5) * 86400000) AS INTEGER) << 16, coalesce((SELECT max("apiId") FROM "Message"), 0) + 1))`,
    id,
    conversationId,
    m.objectId,
    m.authorId,
    m.inReplyTo,
    m.html.slice(0, MAX_TEXT * 2),
    m.text.slice(0, MAX_TEXT),
    m.summary,
    m.sensitive ?? m.summary !== null,
    JSON.stringify(m.attachments),
    m.published,
    now,
    m.encrypted ?? false,
  );
  // Dates are stored as ISO-8601 text in one fixed form, so they compare as text.
  yield write(
    `UPDATE "Conversation" SET "unreadCount" = "unreadCount" + 1, "archived" = 0,
            "lastMessageAt" = CASE WHEN "lastMessageAt" < ? THEN ? ELSE "lastMessageAt" END
      WHERE "id" = ?`,
    m.published,
    m.published,
    conversationId,
  );
  // The Mastodon API's "mention" (lib/api/notifications.ts), in the same transaction as the DM it announces.
  yield write(`INSERT INTO "Notification" ("type", "actorId", "messageId", "createdAt") VALUES ('mention', ?, ?, ?)`, m.authorId, id, now);
  return { messageId: id, conversationId, created: true };
}

type Target = { id: string; authorId: string; published: Date | null; updated: Date | null; deleted: boolean };

function* messageByObjectId(objectId: string): Steps<Target | null> {
  const rows = yield read(`SELECT "id", "authorId", "published", "updated", "deletedAt" FROM "Message" WHERE "objectId" = ?`, objectId);
  const r = rows[0];
  return r ? { id: String(r.id), authorId: String(r.authorId), published: toDate(r.published), updated: toDate(r.updated), deleted: r.deletedAt !== null } : null;
}

/** Whether a message with this object id is stored (the fast inbox drops edits and deletes of anything else). */
export function* messageExistsSteps(objectId: string): Steps<boolean> {
  return (yield read(`SELECT 1 FROM "Message" WHERE "objectId" = ?`, objectId)).length > 0;
}

export type Edit = { html: string; text: string; summary: string | null; sensitive?: boolean; attachments: unknown[]; updated: Date };

/** Apply an Update: only a later `updated` counts, and only from the original author. True when it changed the message. */
export function* editIncomingSteps(objectId: string, authorId: string, edit: Edit): Steps<boolean> {
  const msg = yield* messageByObjectId(objectId);
  if (!msg || msg.authorId !== authorId || msg.deleted) return false;
  if (msg.updated && msg.updated >= edit.updated) return false;
  if (msg.published && edit.updated <= msg.published) return false;
  yield write(
    `UPDATE "Message" SET "html" = ?, "text" = ?, "summary" = ?, "sensitive" = ?, "attachments" = ?, "updated" = ? WHERE "id" = ?`,
    edit.html,
    edit.text.slice(0, MAX_TEXT),
    edit.summary,
    edit.sensitive ?? edit.summary !== null,
    JSON.stringify(edit.attachments),
    edit.updated,
    msg.id,
  );
  return true;
}

/** A Delete: the content goes, a marker stays. Only the author's own server may delete. True when it deleted. */
export function* deleteIncomingSteps(objectId: string, authorId: string, at: Date): Steps<boolean> {
  const msg = yield* messageByObjectId(objectId);
  if (!msg || msg.authorId !== authorId || msg.deleted) return false;
  yield write(`UPDATE "Message" SET "html" = '', "text" = '', "summary" = NULL, "attachments" = '[]', "deletedAt" = ? WHERE "id" = ?`, at, msg.id);
  return true;
}

/** The actor deleted itself: forget follows, keep messages (they are the owner's record). False when nothing here knew it. */
export function* markActorGoneSteps(actorId: string): Steps<boolean> {
  const known = yield read(
    `SELECT EXISTS (SELECT 1 FROM "RemoteActor" WHERE "id" = ? AND "gone" = 0) OR EXISTS (SELECT 1 FROM "Follow" WHERE "actorId" = ?) AS "known"`,
    actorId,
    actorId,
  );
  if (Number(known[0]?.known ?? 0) !== 1) return false;
  yield write(`UPDATE "RemoteActor" SET "gone" = 1 WHERE "id" = ?`, actorId);
  yield write(`DELETE FROM "Follow" WHERE "actorId" = ?`, actorId);
  return true;
}

export type CachedActor = { id: string; followersUrl: string | null; gone: boolean; fetchedAt: Date };

/**
 * How long a cached actor stands in for fetching the sender again when a DM
 * arrives. The signature was checked with the sender's key before, and a
 * profile change comes as Update{Person}, which refetches.
 */
const SENDER_CACHE_MS = 60 * 60_000;

/** A cached sender that may stand in for its actor document: not gone, fetched within the hour. */
export function usableSender(cached: CachedActor | null, now = Date.now()): cached is CachedActor {
  return cached !== null && !cached.gone && now - cached.fetchedAt.getTime() < SENDER_CACHE_MS;
}

/** What the inbox needs of a cached actor. */
export function* cachedActorSteps(id: string): Steps<CachedActor | null> {
  const rows = yield read(`SELECT "id", "followersUrl", "gone", "fetchedAt" FROM "RemoteActor" WHERE "id" = ?`, id);
  const r = rows[0];
  if (!r) return null;
  return { id: String(r.id), followersUrl: (r.followersUrl as string | null) ?? null, gone: Boolean(Number(r.gone)), fetchedAt: toDate(r.fetchedAt)! };
}

/** Is this actor (or its whole domain) blocked? Subdomains of a blocked domain count too. */
export function* blockedSteps(actorOrUrl: string): Steps<boolean> {
  let url: URL;
  try {
    url = new URL(actorOrUrl);
  } catch {
    return false;
  }
  const host = url.hostname.toLowerCase();
  const parts = host.split(".");
  const domains = parts.map((_, i) => parts.slice(i).join(".")).filter((d) => d.includes(".") || d === host);
  const values = [...new Set([...domains, url.host.toLowerCase()])];
  // Two probes of the kind+value index.
  const hit = yield read(
    `SELECT 1 FROM "Block" WHERE ("kind" = 'actor' AND "value" = ?) OR ("kind" = 'domain' AND "value" IN (${values.map(() => "?").join(", ")})) LIMIT 1`,
    actorOrUrl,
    ...values,
  );
  return hit.length > 0;
}

/** The owner's username, or null before setup. */
export function* ownerUsernameSteps(): Steps<string | null> {
  const rows = yield read(`SELECT "username" FROM "Owner" WHERE "id" = 1`);
  return rows[0] ? String(rows[0].username) : null;
}
