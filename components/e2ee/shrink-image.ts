import { bytesToBase64 } from "@/lib/activitypub/base64";
import { IMAGE_TYPES, MAX_IMAGE_BYTES, type EncryptedImage } from "@/lib/e2ee/app-data";

// Pictures in an encrypted message travel inside the message itself (the
// draft's base64 content objects), and one message must stay under 256 KiB:
// lib/e2ee/app-data.ts allows MAX_IMAGE_BYTES for all of a message's pictures.
// A picture that fits is sent as it is; a photo is redrawn smaller as JPEG
// until it fits its share. Everything happens in this browser.

const SIDES = [1600, 1280, 1024, 800, 640, 480];
const QUALITIES = [0.85, 0.7, 0.55];

async function redrawn(file: File, budget: number): Promise<Blob | null> {
  const bitmap = await createImageBitmap(file);
  try {
    for (const side of SIDES) {
      const scale = Math.min(1, side / Math.max(bitmap.width, bitmap.height));
      const canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(bitmap.width * scale));
      canvas.height = Math.max(1, Math.round(bitmap.height * scale));
      const context = canvas.getContext("2d");
      if (!context) return null;
      // JPEG has no transparency: white behind it rather than black.
      context.fillStyle = "#fff";
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      for (const quality of QUALITIES) {
        const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, "image/jpeg", quality));
        if (blob && blob.size <= budget) return blob;
      }
    }
    return null;
  } finally {
    bitmap.close();
  }
}

/** The attached files as pictures for an encrypted message, each within its share of the budget, or an Error in plain words. */
export async function encryptableImages(items: { file: File; alt: string }[]): Promise<EncryptedImage[]> {
  const budget = Math.floor(MAX_IMAGE_BYTES / Math.max(1, items.length));
  const out: EncryptedImage[] = [];
  for (const { file, alt } of items) {
    let blob: Blob | null = IMAGE_TYPES.includes(file.type) && file.size <= budget ? file : null;
    if (!blob) {
      try {
        blob = await redrawn(file, budget);
      } catch {
        blob = null;
      }
    }
    if (!blob) throw new Error(`${file.name} could not be made small enough to send encrypted. Try a smaller picture, or fewer at once.`);
    out.push({ mediaType: blob.type || file.type, content: bytesToBase64(new Uint8Array(await blob.arrayBuffer())), alt: alt.trim() });
  }
  return out;
}
