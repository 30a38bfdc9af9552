import { randomInt } from "node:crypto";
import { db } from "../db";
import { env } from "../env";
import { ALT_MAX, ATTACHMENT_MAX_BYTES, AttachmentError, type StoredAttachment } from "./attachments";
import { removeMedia, storeMedia } from "./avatar";
import { sniffImageType, type ImageType } from "./image-type";

// Images uploaded through the Mastodon API (POST /api/v2/media) before the
// status that carries them: the same checks as the web UI's attachments
// (lib/domain/attachments.ts), stored under the same kind of unguessable
// name. An upload is used by at most one message; one that no message took
// within a day is removed on a later upload.

export type Upload = { id: bigint; file: string; mediaType: string; description: string | null; messageId: string | null; createdAt: Date };

const UNATTACHED_LIFETIME_MS = 24 * 60 * 60_000;

/** A new media id: the millisecond in the high bits (so ids sort by time, as Mastodon's do), 16 random bits below. */
function newMediaId(): bigint {
  return (BigInt(Date.now()) << 16n) | BigInt(randomInt(65536));
}

export function checkDescription(description: string | undefined): string | null {
  const d = (description ?? "").trim();
  if (d.length > ALT_MAX) throw new AttachmentError(`Alt text has at most ${ALT_MAX} characters.`);
  return d || null;
}

/** Check and store an uploaded image; AttachmentError with a plain reason when it cannot be one. */
export async function storeUpload(bytes: Uint8Array, description: string | undefined): Promise<Upload> {
  if (bytes.length === 0) throw new AttachmentError("The file is empty.");
  if (bytes.length > ATTACHMENT_MAX_BYTES) throw new AttachmentError("The image is larger than 8 MB.");
  const type = sniffImageType(bytes);
  if (!type) throw new AttachmentError("Upload PNG, JPEG, WebP or GIF images only.");
  const alt = checkDescription(description);
  await removeStaleUploads();
  const file = await storeMedia({ bytes, type }, "att");
  for (let attempt = 0; ; attempt++) {
    try {
      return await db().apiMedia.create({ data: { id: newMediaId(), file, mediaType: type, description: alt } });
    } catch (err) {
      // Two uploads in one millisecond with the same random bits: take another id.
      if (attempt < 3 && (err as { code?: string }).code === "P2002") continue;
      await removeMedia(file);
      throw err;
    }
  }
}

export async function getUpload(id: bigint): Promise<Upload | null> {
  return db().apiMedia.findUnique({ where: { id } });
}

/** Change an upload's alt text; only while no message has taken it (false otherwise, or when there is none). */
export async function describeUpload(id: bigint, description: string | undefined): Promise<boolean> {
  const { count } = await db().apiMedia.updateMany({ where: { id, messageId: null }, data: { description: checkDescription(description) } });
  return count === 1;
}

/** Uploads waiting for a message, in the order of `ids`; AttachmentError naming the first that is unknown or used. */
export async function waitingUploads(ids: bigint[]): Promise<Upload[]> {
  if (new Set(ids).size !== ids.length) throw new AttachmentError("The same media is attached twice.");
  const rows = ids.length ? await db().apiMedia.findMany({ where: { id: { in: ids } } }) : [];
  return ids.map((id) => {
    const row = rows.find((r) => r.id === id);
    if (!row) throw new AttachmentError(`There is no uploaded media with id ${id}.`);
    if (row.messageId) throw new AttachmentError(`The media ${id} was already sent with another message.`);
    return row;
  });
}

/** An upload as a message's attachment, keeping the upload's id so the status shows it again. */
export function uploadAttachment(u: Upload): StoredAttachment & { mediaId: string } {
  return { url: `${env().origin}/media/${u.file}`, mediaType: u.mediaType as ImageType, kind: "image", alt: u.description, file: u.file, mediaId: u.id.toString() };
}

/** Is this media file an upload no message has taken yet (the app that uploaded it shows it as a preview)? */
export async function isWaitingUpload(file: string): Promise<boolean> {
  return (await db().apiMedia.count({ where: { file, messageId: null } })) > 0;
}

/** Remove uploads no message took within a day, files and rows. */
export async function removeStaleUploads(now = new Date()): Promise<number> {
  const stale = await db().apiMedia.findMany({ where: { messageId: null, createdAt: { lt: new Date(now.getTime() - UNATTACHED_LIFETIME_MS) } }, take: 100 });
  for (const u of stale) {
    // A message may take it meanwhile: the file goes only with the row.
    const { count } = await db().apiMedia.deleteMany({ where: { id: u.id, messageId: null } });
    if (count === 1) await removeMedia(u.file);
  }
  return stale.length;
}
