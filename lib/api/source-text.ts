import { escapeHtml, htmlToText } from "../activitypub/html";
import { db } from "../db";

// The text the owner typed, for GET /statuses/:id/source and the answer to
// DELETE (apps put it back in the composer to edit or redraft). Moiety keeps
// the message's HTML and its plain-text copy, in which a mention reads "@bob";
// typed, it was "@bob@host", and only that form links again when the text
// comes back in an edit. So the mention links of the owner's own messages
// (made by textToHtml, lib/activitypub/html.ts) are read back as handles.

const MENTION_LINK = /<span class="h-card"><a href="([^"]+)" class="u-url mention">@<span>[^<]*<\/span><\/a><\/span>/g;

function unescapeHtml(text: string): string {
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, "&");
}

/** The HTML's mention links as the handles (actor id → `@user@host`) they were typed as; other links stay. */
export function mentionsAsHandles(html: string, handles: ReadonlyMap<string, string>): string {
  return html.replace(MENTION_LINK, (link, href: string) => {
    const handle = handles.get(unescapeHtml(href));
    return handle ? escapeHtml(handle) : link;
  });
}

export async function sourceText(m: { direction: string; html: string; text: string }): Promise<string> {
  if (m.direction !== "out") return m.text;
  const ids = [...new Set([...m.html.matchAll(MENTION_LINK)].map((x) => unescapeHtml(x[1])))];
  if (ids.length === 0) return m.text;
  const actors = await db().remoteActor.findMany({ where: { id: { in: ids } }, select: { id: true, handle: true } });
  return htmlToText(mentionsAsHandles(m.html, new Map(actors.filter((a) => a.handle).map((a) => [a.id, a.handle!]))));
}
