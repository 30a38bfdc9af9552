import { db } from "../db";
import { getOwner, type Owner } from "../domain/owner";
import { signedMediaUrl } from "../domain/signed-media-url";
import { actorUrl } from "../federation/paths";
import { env } from "../env";
import { accountsByActor, ownerAccount, type AccountEntity } from "./accounts";
import { apiIdString } from "./ids";

// Mastodon's Status entity (docs.joinmastodon.org/entities/Status) for DMs:
// every status is `direct`; its mentions are the conversation's other
// people, so an app that builds a reply from them addresses exactly them.

/** The Message columns a status is made of. */
export const STATUS_COLUMNS = `m."id", m."apiId", m."conversationId", m."objectId", m."direction", m."authorId", m."inReplyTo", m."html", m."summary", m."sensitive", m."attachments", m."published", m."updated", m."deletedAt"`;

export type StatusRow = {
  id: string;
  apiId: bigint | number;
  conversationId: string;
  objectId: string;
  direction: string;
  authorId: string;
  inReplyTo: string | null;
  html: string;
  summary: string | null;
  /** SQLite's 0/1 through $queryRaw, a boolean through Prisma's models. */
  sensitive: boolean | number | bigint;
  attachments: string;
  published: Date | string;
  updated: Date | string | null;
  deletedAt: Date | string | null;
};

const iso = (v: Date | string) => (v instanceof Date ? v : new Date(v)).toISOString();

/** At most this many attachments per status get an id (the low 4 bits of it). */
const ATTACHMENT_SLOTS = 16n;

type StoredAttachment = { url?: unknown; mediaType?: unknown; kind?: unknown; alt?: unknown; mediaId?: unknown };

/**
 * Attachments as Mastodon's MediaAttachment. An attachment sent through the
 * API keeps its upload's id (`mediaId`); others get one derived from the
 * status id, so the same attachment always has the same id.
 */
export function mediaAttachments(row: Pick<StatusRow, "apiId" | "attachments">) {
  let list: StoredAttachment[];
  try {
    const parsed = JSON.parse(row.attachments);
    list = Array.isArray(parsed) ? parsed : [];
  } catch {
    list = [];
  }
  return list
    .filter((a) => a && typeof a.url === "string")
    .slice(0, Number(ATTACHMENT_SLOTS))
    .map((a, i) => {
      const url = signedMediaUrl(a.url as string);
      const image = a.kind === "image" || (typeof a.mediaType === "string" && a.mediaType.startsWith("image/"));
      return {
        id: typeof a.mediaId === "string" ? a.mediaId : (BigInt(row.apiId) * ATTACHMENT_SLOTS + BigInt(i)).toString(),
        type: image ? "image" : "unknown",
        url,
        preview_url: url,
        remote_url: (a.url as string).startsWith(env().origin + "/") ? null : (a.url as string),
        preview_remote_url: null,
        text_url: null,
        meta: null,
        description: typeof a.alt === "string" && a.alt ? a.alt : null,
        blurhash: null,
      };
    });
}

export type StatusEntity = ReturnType<typeof buildStatus>;

type Context = {
  owner: Owner;
  ownerAccount: AccountEntity;
  me: string;
  accounts: Map<string, AccountEntity>;
  participants: Map<string, string[]>;
  replyTargets: Map<string, { apiId: bigint | number; authorId: string }>;
};

function accountOf(ctx: Context, actorId: string): AccountEntity {
  return actorId === ctx.me ? ctx.ownerAccount : ctx.accounts.get(actorId)!;
}

function mention(a: AccountEntity) {
  return { id: a.id, username: a.username, url: a.url, acct: a.acct };
}

function buildStatus(row: StatusRow, ctx: Context) {
  const account = accountOf(ctx, row.authorId);
  const others = [ctx.me, ...(ctx.participants.get(row.conversationId) ?? [])].filter((id) => id !== row.authorId);
  const reply = row.inReplyTo ? ctx.replyTargets.get(row.inReplyTo) : undefined;
  return {
    id: apiIdString(row.apiId),
    uri: row.objectId,
    url: row.objectId,
    created_at: iso(row.published),
    edited_at: row.updated ? iso(row.updated) : null,
    account,
    content: row.html,
    visibility: "direct" as const,
    sensitive: Boolean(row.summary) || Number(row.sensitive) === 1,
    spoiler_text: row.summary ?? "",
    media_attachments: mediaAttachments(row),
    application: null,
    mentions: others.map((id) => mention(accountOf(ctx, id))),
    tags: [] as never[],
    emojis: [] as never[],
    reblogs_count: 0,
    favourites_count: 0,
    replies_count: 0,
    in_reply_to_id: reply ? apiIdString(reply.apiId) : null,
    in_reply_to_account_id: reply ? accountOf(ctx, reply.authorId).id : null,
    reblog: null,
    poll: null,
    card: null,
    language: null,
    text: null,
    favourited: false,
    reblogged: false,
    muted: false,
    bookmarked: false,
    pinned: false,
    // Present and empty: the Android app polls /api/v1/filters hourly otherwise.
    filtered: [] as never[],
  };
}

function marks(n: number): string {
  return Array.from({ length: n }, () => "?").join(", ");
}

/** Statuses for message rows, in the rows' order, with every account and reply link loaded in a few queries. */
export async function statusesOf(rows: StatusRow[]): Promise<StatusEntity[]> {
  if (rows.length === 0) return [];
  const owner = await getOwner();
  if (!owner) return [];
  const me = actorUrl(owner.username);
  const conversationIds = [...new Set(rows.map((r) => r.conversationId))];
  const participantRows = await db().$queryRawUnsafe<{ conversationId: string; actorId: string }[]>(
    `SELECT "conversationId", "actorId" FROM "ConversationParticipant" WHERE "conversationId" IN (${marks(conversationIds.length)})`,
    ...conversationIds,
  );
  const participants = new Map<string, string[]>();
  for (const p of participantRows) participants.set(p.conversationId, [...(participants.get(p.conversationId) ?? []), p.actorId]);
  const replyIds = [...new Set(rows.map((r) => r.inReplyTo).filter((x): x is string => x !== null))];
  const replyRows = replyIds.length
    ? await db().$queryRawUnsafe<{ objectId: string; apiId: bigint | number; authorId: string }[]>(
        `SELECT "objectId", "apiId", "authorId" FROM "Message" WHERE "objectId" IN (${marks(replyIds.length)}) AND "deletedAt" IS NULL`,
        ...replyIds,
      )
    : [];
  const replyTargets = new Map(replyRows.map((r) => [r.objectId, r]));
  const actors = [...rows.map((r) => r.authorId), ...participantRows.map((p) => p.actorId), ...replyRows.map((r) => r.authorId)].filter((a) => a !== me);
  const ctx: Context = { owner, ownerAccount: await ownerAccount(owner), me, accounts: await accountsByActor(actors), participants, replyTargets };
  return rows.map((r) => buildStatus(r, ctx));
}

/** One status by its API id; null when there is none (or it was deleted). */
export async function statusById(apiId: bigint): Promise<StatusEntity | null> {
  const rows = await db().$queryRawUnsafe<StatusRow[]>(`SELECT ${STATUS_COLUMNS} FROM "Message" m WHERE m."apiId" = ? AND m."deletedAt" IS NULL`, apiId);
  return (await statusesOf(rows))[0] ?? null;
}

/** The status of a message by its database id (a message just sent: its API id came from a trigger). */
export async function statusOfMessage(messageId: string): Promise<StatusEntity | null> {
  const rows = await db().$queryRawUnsafe<StatusRow[]>(`SELECT ${STATUS_COLUMNS} FROM "Message" m WHERE m."id" = ? AND m."deletedAt" IS NULL`, messageId);
  return (await statusesOf(rows))[0] ?? null;
}
