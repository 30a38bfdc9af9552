// HTML in and out of the Fediverse.
//
// Remote servers send post bodies as HTML and any of them can be hostile (a
// Pleroma ChatMessage can carry <script>), so nothing remote is rendered before
// sanitizeRemoteHtml. The owner writes plain text; textToHtml turns it into the
// small HTML dialect Mastodon produces, so mentions and links look native on
// the other side.

import sanitizeHtml from "sanitize-html";
import { parseMentions, normalizeHandle } from "./mentions";

export const LINK_REL = "nofollow noopener noreferrer";

// Elements whose text is not readable prose (code, styles, embedded documents):
// when the element goes, its content goes too instead of leaking into the text.
const NON_TEXT_TAGS = [
  "script", "style", "textarea", "option", "xmp", "noscript", "noembed", "noframes",
  "iframe", "object", "template", "title", "svg", "math", "head",
];

// Mastodon's allow-list for remote HTML (its sanitizer config), so DMs render as they do there.
const ALLOWED_TAGS = [
  "p", "br", "span", "a", "del", "s", "pre", "blockquote", "code", "b", "strong", "u", "i", "em",
  "ul", "ol", "li", "ruby", "rt", "rp",
];

// Microformats (h-card, u-url, …) and the classes Mastodon's own markup relies
// on to render mentions, hashtags and shortened links.
export const ALLOWED_CLASSES: (string | RegExp)[] = [
  /^(?:h|p|u|dt|e)-[a-z0-9]+(?:-[a-z0-9]+)*$/,
  "mention", "hashtag", "ellipsis", "invisible",
];

const SAFE_SCHEMES = ["http", "https", "mailto"];

/**
 * The href to keep, or undefined. Parsing with the WHATWG URL parser (what the
 * browser will do) rather than matching text defeats `java&#x09;script:` and
 * friends; relative URLs are dropped because they would resolve against our
 * own origin, not the sender's.
 */
export function safeHref(href: string | undefined): string | undefined {
  if (href === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(href.trim());
  } catch {
    return undefined;
  }
  return SAFE_SCHEMES.includes(url.protocol.slice(0, -1)) ? url.href : undefined;
}

// List numbering has no business holding anything but an integer, so anything
// else is dropped rather than passed through escaped.
function integerAttribute(value: string | undefined): string | undefined {
  return value !== undefined && /^-?\d{1,9}$/.test(value.trim()) ? String(Number(value)) : undefined;
}

const REMOTE_OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: ALLOWED_TAGS,
  allowedAttributes: {
    a: ["href", "rel", "class", "target"],
    span: ["class"],
    ol: ["start", "reversed"],
    li: ["value"],
  },
  allowedClasses: { a: ALLOWED_CLASSES, span: ALLOWED_CLASSES },
  allowedSchemes: SAFE_SCHEMES,
  allowedSchemesAppliedToAttributes: ["href"],
  allowProtocolRelative: false,
  disallowedTagsMode: "discard",
  nonTextTags: NON_TEXT_TAGS,
  parseStyleAttributes: false,
  nestingLimit: 64,
  transformTags: {
    a: (_tag, attribs) => {
      const href = safeHref(attribs.href);
      // A link without a usable target is just text; keeping the <a> would
      // leave a clickable-looking element that goes nowhere.
      if (href === undefined) return { tagName: "span", attribs: {} };
      const kept: Record<string, string> = { href, rel: LINK_REL, target: "_blank" };
      if (attribs.class !== undefined) kept.class = attribs.class;
      return { tagName: "a", attribs: kept };
    },
    ol: (_tag, attribs) => {
      const kept: Record<string, string> = {};
      const start = integerAttribute(attribs.start);
      if (start !== undefined) kept.start = start;
      if (attribs.reversed !== undefined) kept.reversed = "";
      return { tagName: "ol", attribs: kept };
    },
    li: (_tag, attribs) => {
      const kept: Record<string, string> = {};
      const value = integerAttribute(attribs.value);
      if (value !== undefined) kept.value = value;
      return { tagName: "li", attribs: kept };
    },
    // Headings are not on the list; keeping them as paragraphs keeps the
    // text's structure instead of running it into the next block.
    ...Object.fromEntries(["h1", "h2", "h3", "h4", "h5", "h6"].map((h) => [h, () => ({ tagName: "p", attribs: {} })])),
  },
};

/** Remote HTML reduced to Mastodon's allow-list; safe to render as HTML. */
export function sanitizeRemoteHtml(html: string): string {
  return sanitizeHtml(html, REMOTE_OPTIONS);
}

// --- HTML → plain text -------------------------------------------------------

const PARAGRAPH_TAGS = new Set(["p", "div", "blockquote", "pre", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "table"]);
const LINE_TAGS = new Set(["li", "tr", "dt", "dd"]);

// Only the structure that matters for line breaks survives, without
// attributes. sanitize-html then escapes every literal "<" in text, so in its
// output each "<" starts one of these bare tags and a split on tags is exact.
const TEXT_OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: ["br", ...PARAGRAPH_TAGS, ...LINE_TAGS],
  allowedAttributes: {},
  disallowedTagsMode: "discard",
  nonTextTags: NON_TEXT_TAGS,
  parseStyleAttributes: false,
};

function decodeSanitizedText(text: string): string {
  // sanitize-html decodes every entity on input and re-escapes only these.
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&amp;/g, "&");
}

/**
 * A plain-text copy of remote HTML (for search, notifications, previews):
 * `<br>` is a line break, paragraphs are separated by a blank line, entities
 * are decoded, every tag is dropped. Whitespace collapses as a browser would,
 * except inside <pre>.
 */
export function htmlToText(html: string): string {
  const cleaned = sanitizeHtml(html, TEXT_OPTIONS);
  let out = "";
  let pendingBreaks = 0;
  let preDepth = 0;

  const breakAtLeast = (n: number) => {
    pendingBreaks = Math.max(pendingBreaks, n);
  };

  for (const token of cleaned.split(/(<\/?[a-z0-9]+\s*\/?>)/)) {
    if (token.length === 0) continue;
    const tag = /^<(\/?)([a-z0-9]+)/.exec(token);
    if (tag) {
      const [, closing, name] = tag;
      if (name === "br") pendingBreaks += 1;
      else if (PARAGRAPH_TAGS.has(name)) breakAtLeast(2);
      else if (LINE_TAGS.has(name)) breakAtLeast(1);
      if (name === "pre") preDepth = Math.max(0, preDepth + (closing ? -1 : 1));
      continue;
    }
    let text = decodeSanitizedText(token);
    if (preDepth === 0) {
      text = text.replace(/[ \t\n\r\f]+/g, " ");
      if (pendingBreaks > 0 || out.length === 0 || out.endsWith(" ")) text = text.replace(/^ /, "");
    }
    if (text.length === 0) continue;
    if (pendingBreaks > 0) {
      if (out.length > 0) out = out.replace(/ +$/, "") + "\n".repeat(pendingBreaks);
      pendingBreaks = 0;
    }
    out += text;
  }
  return out.replace(/ +$/, "");
}

// --- plain text → HTML -------------------------------------------------------

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

export interface TextToHtmlOptions {
  /** Handles the owner may mention (`@user@host`, any case of host) → actor id. */
  mentions?: ReadonlyMap<string, string>;
}

const URL_IN_TEXT = /https?:\/\/[^\s<>"'`]+/gi;

const CLOSING_TO_OPENING: Record<string, string> = { ")": "(", "]": "[", "}": "{" };

function count(text: string, char: string): number {
  return text.split(char).length - 1;
}

/** Trailing punctuation belongs to the sentence, not the link — unless it closes a bracket the link opened. */
function trimUrl(candidate: string): string {
  let url = candidate;
  for (;;) {
    const last = url.at(-1);
    if (last === undefined) return url;
    if (".,:;!?*".includes(last)) {
      url = url.slice(0, -1);
      continue;
    }
    const open = CLOSING_TO_OPENING[last];
    if (open !== undefined && count(url, open) < count(url, last)) {
      url = url.slice(0, -1);
      continue;
    }
    return url;
  }
}

interface Span {
  index: number;
  length: number;
  html: string;
}

function linkSpans(line: string): Span[] {
  const spans: Span[] = [];
  for (const match of line.matchAll(URL_IN_TEXT)) {
    const url = trimUrl(match[0]);
    if (!/^https?:\/\/[^/?#]+/i.test(url)) continue;
    try {
      new URL(url);
    } catch {
      continue;
    }
    const escaped = escapeHtml(url);
    spans.push({
      index: match.index,
      length: url.length,
      html: `<a href="${escaped}" rel="${LINK_REL}" target="_blank">${escaped}</a>`,
    });
  }
  return spans;
}

function mentionSpans(line: string, lookup: (handle: string) => string | undefined): Span[] {
  const spans: Span[] = [];
  for (const mention of parseMentions(line)) {
    const actor = lookup(mention.handle);
    if (actor === undefined) continue;
    spans.push({
      index: mention.index,
      length: mention.length,
      html: `<span class="h-card"><a href="${escapeHtml(actor)}" class="u-url mention">@<span>${escapeHtml(mention.user)}</span></a></span>`,
    });
  }
  return spans;
}

function mentionLookup(mentions: ReadonlyMap<string, string> | undefined): (handle: string) => string | undefined {
  // User names are case-insensitive on most servers; an exact match wins, a
  // case-insensitive one is the fallback for "@Bob@…" when the map has "@bob@…".
  const exact = new Map<string, string>();
  const folded = new Map<string, string>();
  for (const [handle, actor] of mentions ?? []) {
    const key = normalizeHandle(handle);
    if (key === undefined) continue;
    exact.set(key, actor);
    if (!folded.has(key.toLowerCase())) folded.set(key.toLowerCase(), actor);
  }
  return (handle) => exact.get(handle) ?? folded.get(handle.toLowerCase());
}

function lineToHtml(line: string, lookup: (handle: string) => string | undefined): string {
  // Links first: a handle inside a URL (https://host/@bob@elsewhere) is part of the URL.
  const spans = [...linkSpans(line)];
  for (const span of mentionSpans(line, lookup)) {
    const overlaps = spans.some((s) => span.index < s.index + s.length && s.index < span.index + span.length);
    if (!overlaps) spans.push(span);
  }
  spans.sort((a, b) => a.index - b.index);
  let html = "";
  let at = 0;
  for (const span of spans) {
    html += escapeHtml(line.slice(at, span.index)) + span.html;
    at = span.index + span.length;
  }
  return html + escapeHtml(line.slice(at));
}

/**
 * The owner's plain text as post HTML: escaped, a <p> per paragraph (blank
 * lines), <br> for single line breaks, http(s) links linkified, and known
 * `@user@host` handles as Mastodon-style h-card mention links.
 */
export function textToHtml(text: string, options: TextToHtmlOptions = {}): string {
  const lookup = mentionLookup(options.mentions);
  const paragraphs = text
    .replace(/\r\n?/g, "\n")
    .split(/\n(?:[ \t]*\n)+/)
    .map((p) => p.replace(/^(?:[ \t]*\n)+/, "").replace(/(?:\n[ \t]*)+$/, ""))
    .filter((p) => p.trim().length > 0);
  return paragraphs.map((p) => `<p>${p.split("\n").map((line) => lineToHtml(line, lookup)).join("<br>")}</p>`).join("");
}
