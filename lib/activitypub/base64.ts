// Base64 as the MLS envelopes of ./mls.ts carry it (the draft's `encoding:
// "base64"`, also the default for application data it embeds). atob/btoa
// rather than Buffer, so the browser can use this module as it is.

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  // Chunks keep the spread under engines' argument-count limits.
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function binaryToBytes(binary: string): Uint8Array {
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * Only canonical standard base64 (RFC 4648 §4: `+` and `/`, `=` padding, no
 * whitespace, zero pad bits): the draft's `encoding` takes RFC 2045 values and
 * its base64 is that alphabet. URL-safe base64 (`-`, `_`) is refused with a
 * message saying so: one spelling per message keeps ids, dedup and signatures
 * over the JSON unambiguous, and a sender using the other alphabet learns why.
 * Nothing is decoded before the text is known to be of the right form.
 */
export function decodeCanonicalBase64(text: string): { ok: true; bytes: Uint8Array } | { ok: false; error: string } {
  const standard = /^[A-Za-z0-9+/]*={0,2}$/;
  if (!standard.test(text)) {
    if (/^[A-Za-z0-9_-]*={0,2}$/.test(text)) return { ok: false, error: "The content is URL-safe base64 (it has - or _); it must be standard base64, with + and /." };
    if (standard.test(text.replace(/\s/g, ""))) return { ok: false, error: "The content has spaces or line breaks; its base64 must be one unbroken line." };
    return { ok: false, error: "The content is not base64." };
  }
  if (text.length % 4 !== 0) return { ok: false, error: "The content's base64 lacks its = padding." };
  const bytes = binaryToBytes(atob(text));
  if (bytesToBase64(bytes) !== text) return { ok: false, error: "The content is not canonical base64 (its last character has stray bits)." };
  return { ok: true, bytes };
}
