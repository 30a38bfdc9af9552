import { escapeHtml, sanitizeRemoteHtml } from "../activitypub/html";

// The static HTML half of an export: index.html and one page per
// conversation, readable offline in any browser. Pure functions of the
// export data, so they are unit-tested without a database.
//
// Every page forbids scripts, frames, fonts and remote images with a CSP meta
// tag, and sends no referrer when a link is followed. Names, handles, dates and
// alt texts are HTML-escaped. Message bodies are the stored HTML run through
// the same allow-list sanitiser again (it was sanitised when it arrived; doing
// it twice costs nothing and keeps the archive safe even if an old row predates
// a sanitiser fix) so links and paragraphs survive; the plain text is in
// conversations.json for anyone who wants it.

export const EXPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'";

export type ExportPerson = { handle: string | null; actor: string; name: string | null };

export type ExportAttachment = {
  url: string;
  mediaType: string | null;
  alt: string | null;
  /** Path of the copy inside the export (the owner's own uploads), else null. */
  file: string | null;
};

export type ExportMessage = {
  id: string;
  direction: "in" | "out";
  author: string;
  published: string;
  updated: string | null;
  deleted: boolean;
  text: string;
  html: string;
  summary: string | null;
  /** Its images were marked sensitive (always so with a content warning). */
  sensitive: boolean;
  attachments: ExportAttachment[];
};

export type ExportConversation = {
  id: string;
  participants: ExportPerson[];
  lastMessageAt: string;
  isRequest: boolean;
  archived: boolean;
  messages: ExportMessage[];
};

export type ExportData = {
  format: "moiety-export";
  version: 1;
  exportedAt: string;
  owner: ExportPerson;
  conversations: ExportConversation[];
};

/** The page of one conversation, relative to the export's root. Ids are ours, but never trust a name blindly. */
export function conversationPath(id: string): string {
  const safe = /^[A-Za-z0-9_-]{1,64}$/.test(id) ? id : `x${Buffer.from(id).toString("hex").slice(0, 64)}`;
  return `conversations/${safe}.html`;
}

function personLabel(p: ExportPerson): string {
  return p.name && p.handle ? `${p.name} (${p.handle})` : (p.handle ?? p.name ?? p.actor);
}

function peopleLabel(list: ExportPerson[]): string {
  return list.length === 0 ? "(nobody)" : list.map(personLabel).join(", ");
}

/** "2026-11-27 10:00 UTC": unambiguous without a script to localise it. */
function when(iso: string): string {
  return `<time datetime="${escapeHtml(iso)}">${escapeHtml(iso.replace("T", " ").replace(/:\d\d(\.\d+)?Z$/, " UTC"))}</time>`;
}

const STYLE = `
:root { color-scheme: light dark; --muted: #6b6b6b; --line: #d6d3d1; --mine: #e0ecff; --theirs: #f5f5f4; }
@media (prefers-color-scheme: dark) { :root { --muted: #a8a29e; --line: #44403c; --mine: #1e3a5f; --theirs: #292524; } }
body { font: 16px/1.5 system-ui, sans-serif; max-width: 48rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
.muted, header p, .meta { color: var(--muted); font-size: .875rem; }
ul.conversations { list-style: none; padding: 0; }
ul.conversations li { border-bottom: 1px solid var(--line); padding: .75rem 0; }
article { border-radius: .75rem; padding: .5rem .75rem; margin: .75rem 0; background: var(--theirs); }
article.out { background: var(--mine); margin-left: 3rem; }
article.in { margin-right: 3rem; }
article.deleted .body { font-style: italic; color: var(--muted); }
.body p { margin: .25rem 0; }
.body { overflow-wrap: anywhere; }
.invisible { display: none; }
.ellipsis::after { content: "…"; }
img { max-width: 100%; height: auto; border-radius: .5rem; }
.attachments { margin-top: .5rem; }
`;

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${EXPORT_CSP}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${body}
</body>
</html>
`;
}

export function renderIndex(data: ExportData): string {
  const items = data.conversations.map((c) => {
    const last = c.messages[c.messages.length - 1];
    const preview = last ? (last.deleted ? "(deleted)" : last.text.replace(/\s+/g, " ").slice(0, 140)) : "";
    const flags = [c.isRequest ? "request" : "", c.archived ? "archived" : ""].filter(Boolean).join(", ");
    return `<li><a href="${escapeHtml(conversationPath(c.id))}">${escapeHtml(peopleLabel(c.participants))}</a>${flags ? ` <span class="muted">(${escapeHtml(flags)})</span>` : ""}
<div class="meta">${c.messages.length} message${c.messages.length === 1 ? "" : "s"} · last ${when(c.lastMessageAt)}</div>
<div>${escapeHtml(preview)}</div></li>`;
  });
  return page(
    `Direct messages of ${personLabel(data.owner)}`,
    `<header>
<h1>Direct messages of ${escapeHtml(personLabel(data.owner))}</h1>
<p>Exported from Moiety on ${when(data.exportedAt)}: ${data.conversations.length} conversation${data.conversations.length === 1 ? "" : "s"}. The same data is in conversations.json.</p>
</header>
<main>
${items.length ? `<ul class="conversations">\n${items.join("\n")}\n</ul>` : "<p>No conversations.</p>"}
</main>`,
  );
}

function attachmentHtml(a: ExportAttachment): string {
  const label = escapeHtml(a.alt ?? "(no description)");
  // Only the owner's own images are in the export; remote ones stay links, so
  // opening the archive never contacts another server.
  if (a.file) return `<figure><img src="../${escapeHtml(a.file)}" alt="${label}"><figcaption class="meta">${label}</figcaption></figure>`;
  let href: string | null = null;
  try {
    const u = new URL(a.url);
    if (u.protocol === "https:" || u.protocol === "http:") href = u.href;
  } catch {
    // not a URL: show it as text
  }
  const kind = escapeHtml(a.mediaType ?? "file");
  return href
    ? `<p class="meta">Attachment (${kind}): <a href="${escapeHtml(href)}" rel="nofollow noopener noreferrer">${label}</a></p>`
    : `<p class="meta">Attachment (${kind}): ${label}</p>`;
}

export function renderConversation(data: ExportData, c: ExportConversation): string {
  const names = new Map<string, string>(c.participants.map((p) => [p.actor, personLabel(p)]));
  const messages = c.messages.map((m) => {
    const author = m.direction === "out" ? "You" : (names.get(m.author) ?? m.author);
    const body = m.deleted
      ? `<p>This message was deleted.</p>`
      : `${m.summary ? `<p class="meta">Content warning: ${escapeHtml(m.summary)}</p>` : ""}${sanitizeRemoteHtml(m.html) || `<p>${escapeHtml(m.text)}</p>`}`;
    const attachments = m.deleted || m.attachments.length === 0 ? "" : `<div class="attachments">${m.attachments.map(attachmentHtml).join("")}</div>`;
    return `<article class="${m.direction}${m.deleted ? " deleted" : ""}" id="m-${escapeHtml(m.id)}">
<div class="meta"><strong>${escapeHtml(author)}</strong> · ${when(m.published)}${m.updated ? ` · edited ${when(m.updated)}` : ""}</div>
<div class="body">${body}</div>${attachments}
</article>`;
  });
  return page(
    `Conversation with ${peopleLabel(c.participants)}`,
    `<header>
<p><a href="../index.html">← All conversations</a></p>
<h1>Conversation with ${escapeHtml(peopleLabel(c.participants))}</h1>
<p>${c.messages.length} message${c.messages.length === 1 ? "" : "s"}. Copies are on this server and on each participant's server; it was never end-to-end encrypted.</p>
</header>
<main>
${messages.join("\n")}
</main>`,
  );
}
