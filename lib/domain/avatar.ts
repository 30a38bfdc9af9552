import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { mediaDir } from "../env";
import { IMAGE_EXTENSIONS, sniffImageType, type ImageType } from "./image-type";

export const AVATAR_MAX_BYTES = 2 * 1024 * 1024;

export type CheckedImage = { bytes: Uint8Array; type: ImageType };

/** Validate an uploaded avatar; the error text is shown next to the field. */
export function checkAvatar(bytes: Uint8Array): { ok: true; image: CheckedImage } | { ok: false; error: string } {
  if (bytes.length === 0) return { ok: false, error: "The image file is empty." };
  if (bytes.length > AVATAR_MAX_BYTES) return { ok: false, error: "The image is larger than 2 MB." };
  const type = sniffImageType(bytes);
  if (!type) return { ok: false, error: "Use a PNG, JPEG, WebP or GIF image." };
  return { ok: true, image: { bytes, type } };
}

/** Write into the media dir under a fresh random name; returns that name. */
export async function storeMedia(image: CheckedImage, prefix: string): Promise<string> {
  const dir = mediaDir();
  await fs.mkdir(dir, { recursive: true });
  const name = `${prefix}-${randomBytes(12).toString("hex")}.${IMAGE_EXTENSIONS[image.type]}`;
  const tmp = path.join(dir, `.${name}.tmp`);
  await fs.writeFile(tmp, image.bytes, { mode: 0o600 });
  await fs.rename(tmp, path.join(dir, name));
  return name;
}

/** Media names we hand out: nothing else (no dots-paths, no hidden files) is ever read. */
export function isMediaName(name: string): boolean {
  return /^[a-z]+-[0-9a-f]{24}\.(png|jpg|webp|gif)$/.test(name);
}

export async function removeMedia(name: string): Promise<void> {
  if (!isMediaName(name)) return;
  await fs.rm(path.join(mediaDir(), name), { force: true });
}
