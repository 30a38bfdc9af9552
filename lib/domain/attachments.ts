import { db } from "../db";
import { env } from "../env";
import { storeMedia } from "./avatar";
import { sniffImageType, type ImageType } from "./image-type";

// Images the owner attaches to a DM. They are served from our media route
// under an unguessable name (96 random bits) without a login, because the
// recipients' servers fetch them unsigned to show them; nothing lists them.

export const ATTACHMENT_MAX_BYTES = 8 * 1024 * 1024;
export const ATTACHMENTS_MAX = 4;
export const ALT_MAX = 1500;

export type NewAttachment = { bytes: Uint8Array; alt: string };
export type StoredAttachment = { url: string; mediaType: ImageType; kind: "image"; alt: string | null; file: string };

export class AttachmentError extends Error {}

export function checkAttachments(list: NewAttachment[]): void {
  if (list.length > ATTACHMENTS_MAX) throw new AttachmentError(`Attach at most ${ATTACHMENTS_MAX} images.`);
  for (const a of list) {
    if (a.bytes.length === 0) throw new AttachmentError("An attached file is empty.");
    if (a.bytes.length > ATTACHMENT_MAX_BYTES) throw new AttachmentError("An attached image is larger than 8 MB.");
    if (!sniffImageType(a.bytes)) throw new AttachmentError("Attach PNG, JPEG, WebP or GIF images only.");
    if (a.alt.length > ALT_MAX) throw new AttachmentError(`Alt text has at most ${ALT_MAX} characters.`);
  }
}

export async function storeAttachments(list: NewAttachment[]): Promise<StoredAttachment[]> {
  checkAttachments(list);
  const out: StoredAttachment[] = [];
  for (const a of list) {
    const type = sniffImageType(a.bytes)!;
    const file = await storeMedia({ bytes: a.bytes, type }, "att");
    out.push({ url: `${env().origin}/media/${file}`, mediaType: type, kind: "image", alt: a.alt.trim() || null, file });
  }
  return out;
}

/** Is this media file an attachment of an outgoing message that still exists? */
export async function isLiveAttachment(file: string): Promise<boolean> {
  if (!file.startsWith("att-")) return false;
  const url = `${env().origin}/media/${file}`;
  const n = await db().message.count({ where: { direction: "out", deletedAt: null, attachments: { contains: JSON.stringify(url).slice(1, -1) } } });
  return n > 0;
}
