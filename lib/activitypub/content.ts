// The readable parts of an incoming DM object, normalised into one plain shape
// whatever server sent it. Everything HTML in the result is already sanitised.

import { htmlToText, sanitizeRemoteHtml, textToHtml } from "./html";
import { simpleHtml } from "./simple-html";
import { asArray, hasType, hrefOf, isHttpUrl, isObject, stringOf, type JsonObject } from "./values";

export type AttachmentKind = "image" | "video" | "audio" | "document";

export interface DmAttachment {
  url: string;
  mediaType: string | null;
  kind: AttachmentKind;
  /** The attachment's `name`, which every server uses for alt text. */
  alt: string | null;
  width: number | null;
  height: number | null;
  blurhash: string | null;
}

export interface DmMention {
  href: string;
  name: string | null;
}

/** Where the body came from, so a UI can say "shown as plain text" when it had to fall back. */
export type ContentSource = "content" | "contentMap" | "source" | "none";

export interface DmContent {
  /** Sanitised HTML, safe to render. */
  html: string;
  /** Plain-text copy for search, notifications and previews. */
  text: string;
  /** `summary` as plain text: the content warning shown before the body. */
  contentWarning: string | null;
  /** The object's `sensitive` flag, or implied by a content warning (as Mastodon does). */
  sensitive: boolean;
  /** Language of the body when the sender said (contentMap key). */
  language: string | null;
  source: ContentSource;
  attachments: DmAttachment[];
  mentions: DmMention[];
}

export interface ExtractContentOptions {
  /** Languages the owner reads, best first (BCP 47), to choose among contentMap entries. */
  preferredLanguages?: readonly string[];
}

function contentMapEntries(object: JsonObject): [string, string][] {
  if (!isObject(object.contentMap)) return [];
  return Object.entries(object.contentMap).filter((e): e is [string, string] => typeof e[1] === "string" && e[1].length > 0);
}

function pickLanguage(entries: [string, string][], preferred: readonly string[]): [string, string] | undefined {
  const primary = (tag: string) => tag.toLowerCase().split("-")[0];
  for (const want of preferred) {
    const exact = entries.find(([lang]) => lang.toLowerCase() === want.toLowerCase());
    if (exact) return exact;
    const sameBase = entries.find(([lang]) => primary(lang) === primary(want));
    if (sameBase) return sameBase;
  }
  return entries[0];
}

/**
 * Misskey's source text (MFM). Only read when there is no HTML at all:
 * its markup is not HTML, so it is shown as text, never interpreted.
 */
function misskeySource(object: JsonObject): string | undefined {
  const direct = stringOf(object._misskey_content);
  if (direct !== undefined) return direct;
  if (!isObject(object.source)) return undefined;
  const mediaType = stringOf(object.source.mediaType) ?? "";
  return mediaType.includes("html") ? undefined : stringOf(object.source.content);
}

/** The body's sanitised HTML and its text; simple-html.ts gives the same two strings for the common dialect without sanitize-html's cost. */
function sanitizedBody(content: string): Pick<DmContent, "html" | "text"> {
  const fast = simpleHtml(content);
  if (fast !== null) return fast;
  const html = sanitizeRemoteHtml(content);
  return { html, text: htmlToText(html) };
}

function body(object: JsonObject, options: ExtractContentOptions): Pick<DmContent, "html" | "text" | "language" | "source"> {
  const entries = contentMapEntries(object);
  const content = stringOf(object.content);
  if (content !== undefined) {
    const language = entries.find(([, value]) => value === content)?.[0] ?? null;
    return { ...sanitizedBody(content), language, source: "content" };
  }
  const chosen = pickLanguage(entries, options.preferredLanguages ?? []);
  if (chosen !== undefined) {
    return { ...sanitizedBody(chosen[1]), language: chosen[0], source: "contentMap" };
  }
  const source = misskeySource(object);
  if (source !== undefined) return { html: textToHtml(source), text: source, language: null, source: "source" };
  return { html: "", text: "", language: null, source: "none" };
}

function dimension(value: unknown): number | null {
  return typeof value === "number" && Number.isInteger(value) && value > 0 ? value : null;
}

function kindOf(mediaType: string | null, entry: JsonObject): AttachmentKind {
  const major = mediaType?.split("/")[0].toLowerCase();
  if (major === "image" || major === "video" || major === "audio") return major;
  if (hasType(entry, "Image")) return "image";
  if (hasType(entry, "Video")) return "video";
  if (hasType(entry, "Audio")) return "audio";
  return "document";
}

function attachmentOf(entry: unknown): DmAttachment | undefined {
  if (!isObject(entry) || !hasType(entry, "Document", "Image", "Video", "Audio", "Link")) return undefined;
  // `url` may be a string, a Link with its own mediaType, or several of those
  // (PeerTube); a bare Link attachment carries the target in `href`.
  const candidates = entry.url !== undefined && entry.url !== null ? asArray(entry.url) : [entry.href];
  for (const candidate of candidates) {
    const url = hrefOf(candidate);
    if (!isHttpUrl(url)) continue;
    const mediaType = (isObject(candidate) ? stringOf(candidate.mediaType) : undefined) ?? stringOf(entry.mediaType) ?? null;
    return {
      url,
      mediaType,
      kind: kindOf(mediaType, entry),
      alt: stringOf(entry.name)?.trim() || null,
      width: dimension(entry.width),
      height: dimension(entry.height),
      blurhash: stringOf(entry.blurhash) ?? null,
    };
  }
  return undefined;
}

function mentionOf(tag: unknown): DmMention | undefined {
  if (!hasType(tag, "Mention") || !isObject(tag)) return undefined;
  const href = hrefOf(tag);
  if (!isHttpUrl(href)) return undefined;
  return { href, name: stringOf(tag.name) ?? null };
}

/**
 * The content of an incoming DM object (Note, ChatMessage, …): body HTML
 * (sanitised) and text, content warning, language, attachments and mentions.
 */
export function extractDmContent(object: unknown, options: ExtractContentOptions = {}): DmContent {
  if (!isObject(object)) {
    return { html: "", text: "", contentWarning: null, sensitive: false, language: null, source: "none", attachments: [], mentions: [] };
  }
  const summary = stringOf(object.summary);
  // simpleHtml's text equals htmlToText of the raw input too (simple-html.test.ts checks it), so a warning in the dialect skips sanitize-html as well.
  const contentWarning = summary === undefined ? null : (simpleHtml(summary)?.text ?? htmlToText(summary)).trim() || null;
  return {
    ...body(object, options),
    contentWarning,
    sensitive: object.sensitive === true || contentWarning !== null,
    attachments: asArray(object.attachment).map(attachmentOf).filter((a): a is DmAttachment => a !== undefined),
    mentions: asArray(object.tag).map(mentionOf).filter((m): m is DmMention => m !== undefined),
  };
}
