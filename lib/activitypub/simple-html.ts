// A fast path for the tiny HTML dialect nearly every DM arrives in (Mastodon,
// GoToSocial, Pleroma, snac: <p>, <br>, <span class>, <a href class rel target>,
// a handful of entities). Running sanitize-html twice per DM (sanitizeRemoteHtml,
// then htmlToText) is one of the inbox's largest CPU costs; one scan of a
// document made only of these pieces produces the same two strings.
//
// The contract is exactness: simpleHtml returns precisely what
// sanitizeRemoteHtml(input) and htmlToText(sanitizeRemoteHtml(input)) return,
// or null. Anything it is not certain about is null, and the caller takes the
// slow path; tests/unit/activitypub/simple-html.test.ts checks the equality on
// real bodies and generated ones.

import { ALLOWED_CLASSES, LINK_REL, safeHref } from "./html";

export interface SimpleHtml {
  /** Equal to sanitizeRemoteHtml(input). */
  html: string;
  /** Equal to htmlToText(sanitizeRemoteHtml(input)). */
  text: string;
}

// sanitize-html's nestingLimit (64 in html.ts) drops tags beyond it; real
// bodies nest three deep, so deeper input simply goes the slow way.
const MAX_DEPTH = 16;
// Tags with more attributes than this are not the dialect (and keeps the duplicate check trivial).
const MAX_ATTRIBUTES = 8;
// Longest numeric reference accepted: enough for U+10FFFF, short enough that no overflow is possible.
const MAX_DECIMAL_DIGITS = 7;
const MAX_HEX_DIGITS = 6;

const LT = 60, GT = 62, AMP = 38, QUOTE = 34, SLASH = 47, SPACE = 32, EQUALS = 61, HASH = 35;

// The named references htmlparser2 decodes that the dialect uses; any other
// "&" form (a bare "&", "&nbsp;", a reference without ";") is left to the slow path.
const NAMED: ReadonlyArray<readonly [string, string]> = [
  ["amp;", "&"], ["lt;", "<"], ["gt;", ">"], ["quot;", '"'], ["apos;", "'"],
];

let entityEnd = 0;

/** Code points a numeric reference may name: htmlparser2 rewrites 0, C1 controls and surrogates, so those are refused. */
function plainCodePoint(cp: number): boolean {
  return (cp >= 1 && cp < 0x80) || (cp >= 0xa0 && cp < 0xd800) || (cp >= 0xe000 && cp <= 0x10ffff);
}

/** The character a reference at `at` ("&…;") stands for, with entityEnd set past it; null if not one we decode. */
function decodeEntity(s: string, at: number): string | null {
  const start = at + 1;
  if (s.charCodeAt(start) !== HASH) {
    for (const [name, value] of NAMED) {
      if (s.startsWith(name, start)) {
        entityEnd = start + name.length;
        return value;
      }
    }
    return null;
  }
  let i = start + 1;
  const hex = s.charCodeAt(i) === 120; // "x"; htmlparser2 also takes "X", which the dialect does not need
  if (hex) i++;
  const digitsStart = i;
  let cp = 0;
  for (;;) {
    const c = s.charCodeAt(i);
    let d: number;
    if (c >= 48 && c <= 57) d = c - 48;
    else if (hex && c >= 97 && c <= 102) d = c - 87;
    else if (hex && c >= 65 && c <= 70) d = c - 55;
    else break;
    cp = cp * (hex ? 16 : 10) + d;
    i++;
  }
  const digits = i - digitsStart;
  if (digits === 0 || digits > (hex ? MAX_HEX_DIGITS : MAX_DECIMAL_DIGITS)) return null;
  if (s.charCodeAt(i) !== 59 || !plainCodePoint(cp)) return null; // ";"
  entityEnd = i + 1;
  return String.fromCodePoint(cp);
}

// sanitize-html escapes text with & < > and attribute values with those and the double quote.
const ESCAPES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" };

function escapeText(c: string): string {
  return c === '"' ? c : (ESCAPES[c] ?? c);
}

function escapeAttribute(value: string): string {
  let out = "";
  let from = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c !== AMP && c !== LT && c !== GT && c !== QUOTE) continue;
    out += value.slice(from, i) + ESCAPES[value[i]];
    from = i + 1;
  }
  return from === 0 ? value : out + value.slice(from);
}

function classAllowed(name: string): boolean {
  return ALLOWED_CLASSES.some((allowed) => (typeof allowed === "string" ? allowed === name : allowed.test(name)));
}

/** The class attribute as sanitize-html writes it (its filterClasses: split on \s+, keep allowed, join with " "), or "" when none is left. */
function classAttribute(value: string | undefined): string {
  if (value === undefined) return "";
  const kept = value.split(/\s+/).filter(classAllowed).join(" ");
  return kept.length === 0 ? "" : ` class="${escapeAttribute(kept)}"`;
}

function isWhitespace(c: number): boolean {
  return c === SPACE || c === 9 || c === 10 || c === 13 || c === 12;
}

/**
 * htmlToText's treatment of the text between two block boundaries (a <p>,
 * </p> or <br>): its token loop in html.ts, run on the same pieces.
 */
class TextWriter {
  out = "";
  pendingBreaks = 0;

  flush(run: string): void {
    let text = "";
    let inSpace = false;
    for (let i = 0; i < run.length; i++) {
      if (isWhitespace(run.charCodeAt(i))) {
        inSpace = true;
        continue;
      }
      if (inSpace) text += " ";
      inSpace = false;
      text += run[i];
    }
    if (inSpace) text += " ";
    if (text.startsWith(" ") && (this.pendingBreaks > 0 || this.out.length === 0 || this.out.endsWith(" "))) text = text.slice(1);
    if (text.length === 0) return;
    if (this.pendingBreaks > 0) {
      if (this.out.length > 0) this.out = trimEndSpaces(this.out) + "\n".repeat(this.pendingBreaks);
      this.pendingBreaks = 0;
    }
    this.out += text;
  }
}

function trimEndSpaces(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === SPACE) end--;
  return s.slice(0, end);
}

function isNameChar(c: number): boolean {
  return (c >= 97 && c <= 122) || c === 45; // a-z, "-"
}

interface OpenTag {
  name: string;
  attributes: Map<string, string>;
  end: number;
}

/** The tag starting at `at` (just past "<"), in the only shapes the dialect uses; null otherwise. */
function readOpenTag(s: string, at: number): OpenTag | null {
  let i = at;
  while (i < s.length && s.charCodeAt(i) >= 97 && s.charCodeAt(i) <= 122) i++;
  const name = s.slice(at, i);
  if (name !== "p" && name !== "br" && name !== "span" && name !== "a") return null;
  const attributes = new Map<string, string>();
  for (;;) {
    let spaced = false;
    while (s.charCodeAt(i) === SPACE) {
      i++;
      spaced = true;
    }
    const c = s.charCodeAt(i);
    if (c === GT) return { name, attributes, end: i + 1 };
    // htmlparser2 treats "/>" as ">" on void elements only; on <p> or <span> it would not self-close.
    if (c === SLASH && name === "br" && s.charCodeAt(i + 1) === GT) return { name, attributes, end: i + 2 };
    if (!spaced || !(c >= 97 && c <= 122)) return null;
    const nameStart = i;
    while (isNameChar(s.charCodeAt(i))) i++;
    const attribute = s.slice(nameStart, i);
    if (s.charCodeAt(i) !== EQUALS || s.charCodeAt(i + 1) !== QUOTE) return null;
    i += 2;
    let value = "";
    let from = i;
    for (;;) {
      const v = s.charCodeAt(i);
      if (Number.isNaN(v)) return null;
      if (v === QUOTE) break;
      if (v === AMP) {
        const decoded = decodeEntity(s, i);
        if (decoded === null) return null;
        value += s.slice(from, i) + decoded;
        i = from = entityEnd;
        continue;
      }
      i++;
    }
    value += s.slice(from, i);
    i++;
    // htmlparser2 keeps the first of duplicated attributes; rather than rely on that, leave it to the slow path.
    if (attributes.has(attribute) || attributes.size >= MAX_ATTRIBUTES) return null;
    attributes.set(attribute, value);
  }
}

/**
 * sanitizeRemoteHtml(html) and htmlToText of that, computed in one scan, when
 * `html` is in the simple dialect; null when it is not (then use those).
 */
export function simpleHtml(html: string): SimpleHtml | null {
  const text = new TextWriter();
  // Each open element: the name to match its end tag, and the end tag to write.
  const open: string[] = [];
  const closers: string[] = [];
  let insideLink = false;
  let out = "";
  let run = "";
  let from = 0; // start of text not yet copied to `out` and `run`
  let i = 0;

  while (i < html.length) {
    const c = html.charCodeAt(i);
    if (c === AMP) {
      const decoded = decodeEntity(html, i);
      if (decoded === null) return null;
      out += html.slice(from, i) + escapeText(decoded);
      run += html.slice(from, i) + decoded;
      i = from = entityEnd;
      continue;
    }
    if (c === GT) {
      out += html.slice(from, i) + "&gt;";
      run += html.slice(from, i) + ">";
      i = from = i + 1;
      continue;
    }
    if (c !== LT) {
      i++;
      continue;
    }
    out += html.slice(from, i);
    run += html.slice(from, i);

    if (html.charCodeAt(i + 1) === SLASH) {
      const name = open.pop();
      if (name === undefined || !html.startsWith(`${name}>`, i + 2)) return null;
      out += closers.pop();
      if (name === "a") insideLink = false;
      if (name === "p") {
        text.flush(run);
        run = "";
        text.pendingBreaks = Math.max(text.pendingBreaks, 2);
      }
      i = from = i + 3 + name.length;
      continue;
    }

    const tag = readOpenTag(html, i + 1);
    if (tag === null) return null;
    i = from = tag.end;
    if (tag.name === "br") {
      out += "<br />";
      text.flush(run);
      run = "";
      text.pendingBreaks += 1;
      continue;
    }
    if (open.length >= MAX_DEPTH) return null;
    if (tag.name === "p") {
      // htmlparser2 closes an open <p> when another starts, and a <p> inside
      // <span> or <a> is not how any server writes; only top-level paragraphs.
      if (open.length > 0) return null;
      out += "<p>";
      closers.push("</p>");
      text.flush(run);
      run = "";
      text.pendingBreaks = Math.max(text.pendingBreaks, 2);
    } else if (tag.name === "span") {
      out += `<span${classAttribute(tag.attributes.get("class"))}>`;
      closers.push("</span>");
    } else {
      // A link inside a link is something a browser (and maybe a parser) repairs; not the dialect.
      if (insideLink) return null;
      insideLink = true;
      // html.ts's transformTags.a: a usable href keeps the link with forced rel
      // and target, in that order, then the filtered class; anything else is a bare <span>.
      const href = safeHref(tag.attributes.get("href"));
      if (href === undefined) {
        out += "<span>";
        closers.push("</span>");
      } else {
        out += `<a href="${escapeAttribute(href)}" rel="${LINK_REL}" target="_blank"${classAttribute(tag.attributes.get("class"))}>`;
        closers.push("</a>");
      }
    }
    open.push(tag.name);
  }
  if (open.length > 0) return null;
  out += html.slice(from);
  run += html.slice(from);
  text.flush(run);
  return { html: out, text: trimEndSpaces(text.out) };
}
