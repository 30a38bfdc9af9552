// Fediverse handles (`@user@host`): finding them in text the owner writes,
// turning them into Mention tags, and reading the handle or URL the owner types
// to start a conversation.
//
// Hosts are ASCII DNS names (or IPv4 addresses), with an optional port so that
// two test instances on one machine can address each other (`@bob@127.0.0.1:4001`).
// Internationalised domains must be typed in their xn-- form.
//
// The user part keeps its case: Mastodon, Misskey and Pleroma compare user
// names case-insensitively, but GoToSocial compares them exactly, so changing
// the case the person typed could make a handle unresolvable. Hosts are
// case-insensitive everywhere and are lowercased.

import { isHttpUrl } from "./values";

const USER = "[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?";
const LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
const HOST = `${LABEL}(?:\\.${LABEL})*`;
const PORT = "\\d{1,5}";

// Lookbehind: a handle does not start inside a word, a URL path (`/@bob@…`), an
// attribute-ish `=`, or another handle. Lookahead: it does not stop in the middle
// of something longer that failed to match (an over-long label, a non-ASCII
// domain, a six-digit port), which would otherwise link a truncated host.
const MENTION_IN_TEXT = new RegExp(
  `(?<![\\p{L}\\p{N}_=/@])@(${USER})@(${HOST})(?::(${PORT}))?(?![\\p{L}\\p{N}_@-]|\\.[\\p{L}\\p{N}_-]|:\\d)`,
  "gu",
);
const USER_ONLY = new RegExp(`^${USER}$`);
const HOST_WITH_PORT = new RegExp(`^(${HOST})(?::(${PORT}))?$`);

export interface MentionMatch {
  /** `@user@host` with the host lowercased (port kept). */
  handle: string;
  user: string;
  /** Lowercased host, including `:port` when one was written. */
  host: string;
  /** Position of the leading `@` in the text, and the length of the match. */
  index: number;
  length: number;
}

export interface MentionTag {
  type: "Mention";
  href: string;
  name: string;
}

export type HandleInput =
  | { kind: "handle"; user: string; host: string; handle: string }
  | { kind: "url"; url: string }
  | { kind: "invalid"; error: string };

/** A lowercased `host[:port]`, or undefined when it is not a usable DNS name/IPv4 with a valid port. */
function normalizeHost(raw: string): string | undefined {
  const match = HOST_WITH_PORT.exec(raw);
  if (!match) return undefined;
  const hostname = match[1].toLowerCase();
  if (hostname.length > 253) return undefined;
  if (match[2] === undefined) return hostname;
  const port = Number(match[2]);
  if (port < 1 || port > 65535) return undefined;
  return `${hostname}:${port}`;
}

/** Every `@user@host` handle in plain text, in order of appearance. */
export function parseMentions(text: string): MentionMatch[] {
  const found: MentionMatch[] = [];
  for (const match of text.matchAll(MENTION_IN_TEXT)) {
    const raw = match[3] === undefined ? match[2] : `${match[2]}:${match[3]}`;
    const host = normalizeHost(raw);
    if (host === undefined) continue;
    found.push({ handle: `@${match[1]}@${host}`, user: match[1], host, index: match.index, length: match[0].length });
  }
  return found;
}

/**
 * The canonical `@user@host` form of a handle written as `@user@host`,
 * `user@host` or `acct:user@host`; undefined when it is not a valid handle.
 */
export function normalizeHandle(handle: string): string | undefined {
  const parsed = parseHandleInput(handle);
  return parsed.kind === "handle" ? parsed.handle : undefined;
}

/** The Mention tag Mastodon needs for every DM recipient, or its DM turns "limited" and is never shown. */
export function mentionTag(handle: string, actorId: string): MentionTag {
  const name = normalizeHandle(handle);
  if (name === undefined) throw new Error(`Not a valid handle: "${handle}".`);
  if (!isHttpUrl(actorId)) throw new Error(`Not a valid actor URL: "${actorId}".`);
  return { type: "Mention", href: actorId, name };
}

/** Mention tags for a list of recipients, one per distinct actor. */
export function mentionTags(recipients: Iterable<{ handle: string; actorId: string }>): MentionTag[] {
  const tags: MentionTag[] = [];
  for (const { handle, actorId } of recipients) {
    if (tags.some((t) => t.href === actorId)) continue;
    tags.push(mentionTag(handle, actorId));
  }
  return tags;
}

const EXAMPLE = "@name@example.com";

/**
 * Read what the owner typed into "new message to…": `@bob@example.com`,
 * `bob@example.com`, `acct:bob@example.com`, or an actor/profile URL.
 * Never throws; bad input comes back with a sentence to show them.
 */
export function parseHandleInput(input: string): HandleInput {
  const text = input.trim();
  if (text.length === 0) return invalid(`Enter a handle like ${EXAMPLE} or a profile URL.`);
  if (text.length > 2048) return invalid("That is too long to be a handle or a profile URL.");
  if (/\s/.test(text)) return invalid("A handle or URL cannot contain spaces.");

  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return parseUrlInput(text);

  const bare = text.replace(/^acct:/i, "").replace(/^@/, "");
  const parts = bare.split("@");
  if (parts.length === 1) {
    return invalid(`Add the server after the name, like @${bare || "name"}@example.com.`);
  }
  if (parts.length > 2) return invalid(`A handle has the form ${EXAMPLE}, with only one @ between name and server.`);
  const [user, rawHost] = parts;
  if (user.length === 0) return invalid(`The name before the server is missing, like ${EXAMPLE}.`);
  if (rawHost.length === 0) return invalid(`The server after the name is missing, like @${user}@example.com.`);
  if (!USER_ONLY.test(user)) {
    return invalid(`"${user}" is not a valid user name: use letters, digits, _ . or - (not at the start or end).`);
  }
  // A trailing dot names the same DNS host; it usually comes from copying a sentence.
  const host = normalizeHost(rawHost.replace(/\.$/, ""));
  if (host === undefined) return invalid(`"${rawHost}" is not a valid server name, like example.com.`);
  return { kind: "handle", user, host, handle: `@${user}@${host}` };
}

function parseUrlInput(text: string): HandleInput {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return invalid(`"${text}" is not a valid URL.`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return invalid("Only https:// (or http://) profile URLs can be used.");
  }
  if (url.username || url.password) return invalid("A profile URL must not contain a user name or password.");
  if (url.pathname === "/" && !url.search) {
    return invalid("That is a server's address, not a person's: use their profile URL or their handle.");
  }
  return { kind: "url", url: url.href };
}

function invalid(error: string): HandleInput {
  return { kind: "invalid", error };
}
