import fs from "node:fs/promises";
import path from "node:path";
import { mediaDir } from "../env";
import { isMediaName } from "./avatar";
import { sniffImageType } from "./image-type";
import { isLiveAttachment } from "./attachments";
import { getOwner } from "./owner";
import { isWaitingUpload } from "./uploads";

const notFound = () => new Response("Not found", { status: 404, headers: { "content-type": "text/plain" } });

/**
 * Media served without a login: the owner's current avatar (it is on the
 * public profile anyway) and attachments of live outgoing DMs (by their
 * unguessable name, for the recipients' servers), and images uploaded through
 * the API that wait for their message (the uploading app shows them). Nothing else.
 */
export async function serveOwnerMedia(name: string): Promise<Response> {
  if (!isMediaName(name)) return notFound();
  // The file first: a guessed name then never reaches the database (the
  // attachment check searches the messages).
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(path.join(mediaDir(), name));
  } catch {
    return notFound();
  }
  const owner = await getOwner();
  const isAvatar = owner !== null && owner.avatarFile === name;
  if (!isAvatar && !(await isLiveAttachment(name)) && !(await isWaitingUpload(name))) return notFound();
  const type = sniffImageType(bytes);
  if (!type) return notFound();
  return new Response(new Uint8Array(bytes), {
    headers: {
      "content-type": type,
      "cache-control": "public, max-age=31536000, immutable",
      "x-content-type-options": "nosniff",
      "content-security-policy": "default-src 'none'; sandbox",
    },
  });
}
