// The application data inside a PrivateMessage (docs/E2EE.md, "Application
// data"): AS2 activities as UTF-8 JSON. Builders for what we send, a reader that
// never throws for what we receive, and an HTML → text conversion without a DOM:
// received HTML is never rendered as HTML.

import { decodeCanonicalBase64 } from "@/lib/activitypub/base64";

const AS = "https://www.w3.org/ns/activitystreams";

/** A picture carried inside the encrypted message itself, as the draft's content objects are: base64 in `content`. */
export type EncryptedImage = { mediaType: string; content: string; alt: string };
export const IMAGE_TYPES = ["image/png", "image/jpeg", "image/webp", "image/gif"];
export const MAX_IMAGES = 4;
/**
 * The pictures of one message together, in bytes. The whole MLS message must
 * stay under lib/activitypub/mls.ts's 256 KiB once base64 (+33 %) and the JSON
 * wrap them; the browser shrinks photos to fit (components/e2ee/shrink-image.ts).
 */
export const MAX_IMAGE_BYTES = 180 * 1024;
const MAX_ALT = 1500;

export type AppData =
  | { kind: "create"; noteId: string; html: string; inReplyTo: string | null; actor: string | null; images: EncryptedImage[]; summary: string | null }
  | { kind: "update"; noteId: string; html: string; actor: string | null }
  | { kind: "delete"; noteId: string; actor: string | null }
  | { kind: "null" }
  | { kind: "unreadable"; reason: string };

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Typed text → HTML: escaped, blank lines make paragraphs, single line breaks <br>. */
export function textToHtml(text: string): string {
  const escaped = text.replace(/\r\n?/g, "\n").replace(/[&<>"']/g, (c) => ESCAPES[c]);
  return escaped
    .split(/\n{2,}/)
    .map((p) => p.replace(/^\n+|\n+$/g, ""))
    .filter((p) => p.length > 0)
    .map((p) => `<p>${p.replace(/\n/g, "<br>")}</p>`)
    .join("");
}

export function newNoteId(): string {
  return `urn:uuid:${globalThis.crypto.randomUUID()}`;
}

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

/** A content warning's length, as the server allows one on a message in the clear. */
export const MAX_SUMMARY = 500;

export function buildCreate(input: { actor: string; noteId: string; text: string; inReplyTo?: string; images?: EncryptedImage[]; summary?: string }): Uint8Array {
  const note: Record<string, unknown> = { type: "Note", id: input.noteId, attributedTo: input.actor, content: textToHtml(input.text) };
  if (input.inReplyTo) note.inReplyTo = input.inReplyTo;
  // A content warning is the Note's summary, plain text, as in the clear (Mastodon's spoiler_text).
  if (input.summary) note.summary = input.summary;
  if (input.images?.length) {
    note.attachment = input.images.map((i) => ({ type: "Image", mediaType: i.mediaType, encoding: "base64", content: i.content, name: i.alt }));
  }
  return encode({ "@context": AS, type: "Create", actor: input.actor, object: note });
}

export function buildUpdate(input: { actor: string; noteId: string; text: string }): Uint8Array {
  const note = { type: "Note", id: input.noteId, attributedTo: input.actor, content: textToHtml(input.text) };
  return encode({ "@context": AS, type: "Update", actor: input.actor, object: note });
}

export function buildDelete(input: { actor: string; noteId: string }): Uint8Array {
  return encode({ "@context": AS, type: "Delete", actor: input.actor, object: input.noteId });
}

export function buildNull(actor: string): Uint8Array {
  return encode({ "@context": AS, type: "IntransitiveActivity", actor });
}

const MAX_CONTENT = 100_000;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isUrn = (v: unknown): v is string => typeof v === "string" && /^urn:uuid:[0-9a-f-]{36}$/i.test(v);
const typeOf = (v: Record<string, unknown>) => (typeof v.type === "string" ? v.type : Array.isArray(v.type) && typeof v.type[0] === "string" ? v.type[0] : null);
const unreadable = (reason: string): AppData => ({ kind: "unreadable", reason });

/** Byte length of an image, or null when it is not a picture we show: a known type, canonical base64. */
function imageOf(value: unknown): { image: EncryptedImage; bytes: number } | null {
  if (!isObject(value) || typeOf(value) !== "Image") return null;
  if (typeof value.mediaType !== "string" || !IMAGE_TYPES.includes(value.mediaType)) return null;
  if (value.encoding !== undefined && value.encoding !== "base64") return null;
  if (typeof value.content !== "string") return null;
  const decoded = decodeCanonicalBase64(value.content);
  if (!decoded.ok || decoded.bytes.length === 0) return null;
  const alt = typeof value.name === "string" ? value.name.slice(0, MAX_ALT) : typeof value.summary === "string" ? value.summary.slice(0, MAX_ALT) : "";
  return { image: { mediaType: value.mediaType, content: value.content, alt }, bytes: decoded.bytes.length };
}

/** The Note's pictures we can show, at most MAX_IMAGES; others (links, unknown types) are left out. */
function readImages(value: unknown): EncryptedImage[] {
  const images: EncryptedImage[] = [];
  let total = 0;
  for (const item of Array.isArray(value) ? value : value === undefined ? [] : [value]) {
    const read = imageOf(item);
    if (!read || images.length >= MAX_IMAGES || total + read.bytes > MAX_IMAGE_BYTES * 1.3) continue;
    total += read.bytes;
    images.push(read.image);
  }
  return images;
}

/** A Note as Create/Update carry it: an id urn:uuid and HTML content (empty when it carries pictures only). */
function readNote(object: unknown): { noteId: string; html: string; inReplyTo: string | null; images: EncryptedImage[]; summary: string | null } | string {
  if (!isObject(object) || typeOf(object) !== "Note") return "The activity does not carry a Note.";
  if (!isUrn(object.id)) return "The Note's id is not a urn:uuid.";
  const images = readImages(object.attachment);
  const html = typeof object.content === "string" ? object.content : images.length > 0 ? "" : null;
  if (html === null) return "The Note has no text content.";
  if (html.length > MAX_CONTENT) return "The Note's content is too long.";
  const inReplyTo = isUrn(object.inReplyTo) ? object.inReplyTo : null;
  // Shown as text: any markup a sender put in it is dropped, as in the content.
  const summary = typeof object.summary === "string" ? htmlToText(object.summary).replace(/\s+/g, " ").trim().slice(0, MAX_SUMMARY) || null : null;
  return { noteId: object.id, html, inReplyTo, images, summary };
}

/** Reads decrypted application data; anything unexpected is "unreadable" with a reason, never an exception. */
export function readAppData(bytes: Uint8Array): AppData {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    return unreadable("The message is not UTF-8 JSON.");
  }
  if (!isObject(json)) return unreadable("The message is not a JSON object.");
  const actor = typeof json.actor === "string" ? json.actor : null;
  const type = typeOf(json);
  switch (type) {
    case "Create":
    case "Update": {
      const note = readNote(json.object);
      if (typeof note === "string") return unreadable(note);
      return type === "Create" ? { kind: "create", ...note, actor } : { kind: "update", noteId: note.noteId, html: note.html, actor };
    }
    case "Delete": {
      const target = isObject(json.object) ? json.object.id : json.object;
      if (!isUrn(target)) return unreadable("The Delete does not name a Note by its urn:uuid.");
      return { kind: "delete", noteId: target, actor };
    }
    case "IntransitiveActivity":
      return { kind: "null" };
    default:
      return unreadable(`The message is an activity this version of Moiety does not know (${String(type ?? "no type")}).`);
  }
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " " };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]{2,6});/gi, (whole, body: string) => {
    if (body[0] === "#") {
      const code = body[1] === "x" || body[1] === "X" ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      // Surrogates, NUL and beyond Unicode stay as written.
      if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return whole;
      return String.fromCodePoint(code);
    }
    return ENTITIES[body.toLowerCase()] ?? whole;
  });
}

/**
 * Received HTML → plain text for display as text: <br> a line break, a
 * paragraph a blank line, every other tag dropped (script and style with their
 * contents), the common entities decoded. Works on strings only, so a hostile
 * message can do nothing but show odd text.
 */
export function htmlToText(html: string): string {
  return decodeEntities(
    html
      .slice(0, MAX_CONTENT)
      .replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, "")
      .replace(/<br\s*\/?>/gi, "\n")
      .replace(/<\/?p\b[^>]*>/gi, "\n\n")
      .replace(/<\/?[a-z][^>]*>/gi, "")
      .replace(/<!--[\s\S]*?-->/g, ""),
  )
    .replace(/[ \t]*\n[ \t]*/g, "\n")
    .replace(/\n{3,}/g, "\n\n")
    .replace(/^\n+|\n+$/g, "");
}
