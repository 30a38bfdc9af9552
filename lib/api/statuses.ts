import { parseMentions } from "../activitypub/mentions";
import { db } from "../db";
import { getOwner } from "../domain/owner";
import { env } from "../env";
import { LookupError } from "../federation/lookup";
import { deleteDirectMessage, editDirectMessage, sendDirectMessage, type ContentWarning } from "../domain/direct-messages";
import { SendError } from "../domain/sending";
import { requireToken } from "./auth";
import { api, ApiError, json } from "./http";
import { claimIdempotencyKey } from "./idempotency";
import { sourceText } from "./source-text";
import { parseApiId, requireApiId } from "./ids";
import { bool, list, readParams, str, type Params } from "./params";
import { mediaAttachments, STATUS_COLUMNS, statusById, statusesOf, statusOfMessage, type StatusRow } from "./status-entity";

// Statuses (docs.joinmastodon.org/methods/statuses) for a server that only
// holds direct messages. Posting is sending a DM: to the @user@host mentions
// in the text, or, as a reply, to exactly the replied-to conversation's
// people, whatever the text mentions (the audience never widens, as in the
// web UI). Every other visibility is refused rather than quietly sent as DM.

type Context = { params: Promise<Record<string, string | string[]>> };

const NOT_FOUND = "Record not found";

async function idOf(context: Context): Promise<bigint> {
  return requireApiId((await context.params).id);
}

type MessageRecord = { id: string; conversationId: string; direction: string; html: string; text: string; summary: string | null; deletedAt: Date | null };

/** A live message by API id, else Mastodon's 404; `own` also requires it to be the owner's. */
async function messageOr404(apiId: bigint, opts: { own?: boolean } = {}): Promise<MessageRecord> {
  const m = await db().message.findUnique({
    where: { apiId },
    select: { id: true, conversationId: true, direction: true, html: true, text: true, summary: true, deletedAt: true },
  });
  if (!m || m.deletedAt || (opts.own && m.direction !== "out")) throw new ApiError(404, NOT_FOUND);
  return m;
}

function sendFailure(err: unknown): never {
  if (err instanceof SendError || err instanceof LookupError) throw new ApiError(422, err.message);
  throw err;
}

/** Parameters Moiety cannot honour are refused in plain words; the ones apps always send are accepted. */
function refuseUnsupported(params: Params): void {
  const visibility = str(params, "visibility");
  if (visibility !== undefined && visibility !== "direct") {
    throw new ApiError(422, `Moiety only sends direct messages: set visibility to "direct" (not "${visibility.slice(0, 40)}").`);
  }
  const poll = params.poll;
  if (poll !== undefined && poll !== null && poll !== "") throw new ApiError(422, "Moiety does not send polls; leave poll out.");
  if (str(params, "scheduled_at") !== undefined) throw new ApiError(422, "Moiety cannot schedule messages; leave scheduled_at out to send now.");
}

function mediaIdsOf(params: Params): bigint[] | undefined {
  const ids = list(params, "media_ids");
  if (ids === undefined) return undefined;
  return ids.map((raw) => {
    const id = parseApiId(raw);
    if (id === null) throw new ApiError(422, `There is no uploaded media with id ${raw.slice(0, 40)}.`);
    return id;
  });
}

/** The people a new (not reply) status goes to: the @user@host handles in its text, but never the owner. */
async function mentionedPeople(text: string): Promise<string[]> {
  const owner = await getOwner();
  const self = owner ? `@${owner.username}@${new URL(env().origin).host}`.toLowerCase() : null;
  const handles = [...new Set(parseMentions(text).map((m) => m.handle))].filter((h) => h.toLowerCase() !== self);
  if (handles.length === 0) throw new ApiError(422, "Mention at least one person (@user@host) to send a direct message.");
  if (handles.length > 20) throw new ApiError(422, "A message can go to at most 20 people.");
  return handles;
}

/** spoiler_text and sensitive, as the domain takes them; left out, nothing changes on an edit. */
function warningOf(params: Params): ContentWarning {
  const spoiler = params.spoiler_text;
  return {
    ...(spoiler === undefined ? {} : { summary: typeof spoiler === "string" ? spoiler : null }),
    ...(bool(params, "sensitive") === undefined ? {} : { sensitive: bool(params, "sensitive") }),
  };
}

async function send(params: Params): Promise<string> {
  const text = str(params, "status") ?? "";
  const uploads = mediaIdsOf(params) ?? [];
  const warning = warningOf(params);
  const replyTo = str(params, "in_reply_to_id");
  try {
    if (replyTo !== undefined) {
      const parent = parseApiId(replyTo);
      const m = parent === null ? null : await db().message.findUnique({ where: { apiId: parent }, select: { conversationId: true, deletedAt: true } });
      if (!m || m.deletedAt) throw new ApiError(404, "The post you are trying to reply to does not appear to exist.");
      return (await sendDirectMessage({ conversationId: m.conversationId, text, uploads, ...warning })).messageId;
    }
    return (await sendDirectMessage({ to: await mentionedPeople(text), text, uploads, ...warning })).messageId;
  } catch (err) {
    sendFailure(err);
  }
}

/** POST /api/v1/statuses */
export const createStatus = api(async (request) => {
  await requireToken(request, "write:statuses");
  const params = await readParams(request);
  refuseUnsupported(params);
  const key = request.headers.get("idempotency-key")?.trim();
  let messageId: string;
  if (key) {
    const claim = await claimIdempotencyKey(key);
    if (claim.kind === "done") {
      messageId = claim.messageId;
    } else {
      try {
        messageId = await send(params);
      } catch (err) {
        await claim.release();
        throw err;
      }
      await claim.finish(messageId);
    }
  } else {
    messageId = await send(params);
  }
  const status = await statusOfMessage(messageId);
  if (!status) throw new ApiError(404, NOT_FOUND);
  return json(status);
});

/** GET /api/v1/statuses/:id */
export const getStatus = api(async (request, context) => {
  await requireToken(request, "read:statuses");
  const status = await statusById(await idOf(context));
  if (!status) throw new ApiError(404, NOT_FOUND);
  return json(status);
});

/** As Mastodon does for a signed-in viewer: effectively the whole thread (its CONTEXT_LIMIT). */
const CONTEXT_LIMIT = 4096;

/**
 * GET /api/v1/statuses/:id/context. A DM conversation is one flat thread, so
 * ancestors are all its earlier messages and descendants all its later ones,
 * oldest first: the whole conversation, which is what chat views such as Ice
 * Cubes' build from it.
 */
export const getContext = api(async (request, context) => {
  await requireToken(request, "read:statuses");
  const apiId = await idOf(context);
  const m = await messageOr404(apiId);
  const side = (cmp: "<" | ">", order: "ASC" | "DESC") =>
    db().$queryRawUnsafe<StatusRow[]>(
      `SELECT ${STATUS_COLUMNS} FROM "Message" m WHERE m."conversationId" = ? AND m."deletedAt" IS NULL AND m."apiId" ${cmp} ? ORDER BY m."apiId" ${order} LIMIT ?`,
      m.conversationId,
      apiId,
      CONTEXT_LIMIT,
    );
  const [before, after] = await Promise.all([side("<", "DESC"), side(">", "ASC")]);
  const [ancestors, descendants] = await Promise.all([statusesOf(before.reverse()), statusesOf(after)]);
  return json({ ancestors, descendants });
});

/** PUT /api/v1/statuses/:id: a new text for one of the owner's messages; an Update goes to its recipients. */
export const editStatus = api(async (request, context) => {
  await requireToken(request, "write:statuses");
  const apiId = await idOf(context);
  const m = await messageOr404(apiId, { own: true });
  const params = await readParams(request);
  const poll = params.poll;
  if (poll !== undefined && poll !== null && poll !== "") throw new ApiError(422, "Moiety does not send polls; leave poll out.");
  const wanted = mediaIdsOf(params);
  if (wanted !== undefined) {
    const rows = await db().$queryRawUnsafe<{ apiId: bigint; attachments: string }[]>(`SELECT "apiId", "attachments" FROM "Message" WHERE "id" = ?`, m.id);
    const current = mediaAttachments(rows[0]).map((a) => a.id);
    const same = wanted.length === current.length && wanted.every((id, i) => id.toString() === current[i]);
    if (!same) throw new ApiError(422, "Moiety can change only the text of a sent message, not its images.");
  }
  try {
    await editDirectMessage(m.id, str(params, "status") ?? "", warningOf(params));
  } catch (err) {
    sendFailure(err);
  }
  return json(await statusById(apiId));
});

/** DELETE /api/v1/statuses/:id: the owner's message goes everywhere it went; the answer carries its text, for "delete and redraft". */
export const deleteStatus = api(async (request, context) => {
  await requireToken(request, "write:statuses");
  const apiId = await idOf(context);
  const m = await messageOr404(apiId, { own: true });
  const status = await statusById(apiId);
  const text = await sourceText(m);
  try {
    await deleteDirectMessage(m.id);
  } catch (err) {
    sendFailure(err);
  }
  return json({ ...status, text });
});

/** GET /api/v1/statuses/:id/source: the plain text, for editing. */
export const getSource = api(async (request, context) => {
  await requireToken(request, "read:statuses");
  const apiId = await idOf(context);
  const m = await messageOr404(apiId);
  return json({ id: apiId.toString(), text: await sourceText(m), spoiler_text: m.summary ?? "" });
});

/** GET /api/v1/statuses/:id/history: Moiety keeps only the current version, so that is the one entry. */
export const getHistory = api(async (request, context) => {
  await requireToken(request, "read:statuses");
  const status = await statusById(await idOf(context));
  if (!status) throw new ApiError(404, NOT_FOUND);
  return json([
    {
      content: status.content,
      spoiler_text: status.spoiler_text,
      sensitive: status.sensitive,
      created_at: status.edited_at ?? status.created_at,
      account: status.account,
      poll: null,
      media_attachments: status.media_attachments,
      emojis: [],
    },
  ]);
});
