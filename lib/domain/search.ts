import { db } from "../db";

// Full-text search over every DM (FTS5 table MessageSearch, see the
// message_search migration). Matches are marked with control characters, not
// HTML, so the UI can render them as <mark> without ever trusting text as HTML.

export const MARK_START = "\u0001";
export const MARK_END = "\u0002";

export type SearchHit = {
  messageId: string;
  conversationId: string;
  direction: "in" | "out";
  authorId: string;
  published: Date;
  /** Text around the match, with MARK_START/MARK_END around matched words. */
  snippet: string;
};

/** Turn what someone typed into a safe FTS5 query: every word quoted, the last one as a prefix. */
export function toFtsQuery(input: string): string | null {
  const words = input
    .replace(/[\u0000-\u001f]/g, " ")
    .split(/\s+/)
    .map((w) => w.trim())
    .filter(Boolean)
    .slice(0, 12);
  if (words.length === 0) return null;
  return words.map((w, i) => `"${w.replace(/"/g, '""')}"${i === words.length - 1 ? "*" : ""}`).join(" ");
}

/**
 * The newest matches first, newest by when they were stored: a message's
 * rowid grows with each one stored (the index's rowid is the message's), and
 * FTS5 walks its index backwards by rowid and stops at the limit. Ranking by
 * relevance (ORDER BY rank) scored every match first: ~100,000 for a common
 * word in a million messages, over 100 ms.
 */
export async function searchMessages(input: string, limit = 50): Promise<SearchHit[]> {
  const query = toFtsQuery(input);
  if (!query) return [];
  const rows = await db().$queryRawUnsafe<
    { id: string; conversationId: string; direction: string; authorId: string; published: string | number | Date; snippet: string }[]
  >(
    `SELECT m.id, m.conversationId, m.direction, m.authorId, m.published,
            snippet(MessageSearch, 0, ?, ?, '…', 16) AS snippet
       FROM MessageSearch
       JOIN Message m ON m.rowid = MessageSearch.rowid
      WHERE MessageSearch MATCH ? AND m.deletedAt IS NULL
      ORDER BY MessageSearch.rowid DESC
      LIMIT ?`,
    MARK_START,
    MARK_END,
    query,
    limit,
  );
  return rows.map((r) => ({
    messageId: r.id,
    conversationId: r.conversationId,
    direction: r.direction as "in" | "out",
    authorId: r.authorId,
    published: new Date(typeof r.published === "bigint" ? Number(r.published) : (r.published as string | number)),
    snippet: r.snippet,
  }));
}
