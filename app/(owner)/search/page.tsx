import type { Metadata } from "next";
import Link from "next/link";
import { requireOwner } from "@/lib/auth";
import { MARK_END, MARK_START, searchMessages } from "@/lib/domain/search";
import { db } from "@/lib/db";

export const metadata: Metadata = { title: "Search" };

/** Render a snippet with <mark> around matches; the text itself is never HTML. */
function Snippet({ text }: { text: string }) {
  const parts = text.split(new RegExp(`(${MARK_START}[^${MARK_END}]*${MARK_END})`));
  return (
    <>
      {parts.map((p, i) =>
        p.startsWith(MARK_START) ? (
          <mark key={i} className="rounded bg-amber-200 px-0.5 text-stone-900 dark:bg-amber-500/40 dark:text-stone-50">
            {p.slice(1, -1)}
          </mark>
        ) : (
          <span key={i}>{p}</span>
        ),
      )}
    </>
  );
}

export default async function SearchPage({ searchParams }: { searchParams: Promise<{ q?: string }> }) {
  await requireOwner();
  const { q } = await searchParams;
  const query = typeof q === "string" ? q.slice(0, 200) : "";
  const hits = query ? await searchMessages(query) : [];
  const authors = hits.length > 0 ? await db().remoteActor.findMany({ where: { id: { in: [...new Set(hits.map((h) => h.authorId))] } } }) : [];
  const nameOf = new Map(authors.map((a) => [a.id, a.name ?? a.handle ?? a.id]));
  return (
    <div className="mx-auto max-w-3xl px-4 py-6">
      <h1 className="mb-4 text-2xl font-semibold tracking-tight">Search</h1>
      <form role="search" action="/search" className="flex gap-2">
        <label htmlFor="q" className="sr-only">
          Search all messages
        </label>
        <input
          id="q"
          name="q"
          type="search"
          defaultValue={query}
          placeholder="Search all messages"
          className="min-h-11 min-w-0 flex-1 rounded-lg border border-stone-300 bg-white px-3 dark:border-stone-700 dark:bg-stone-900"
        />
        <button type="submit" className="min-h-11 rounded-lg bg-accent-600 px-4 font-medium text-white hover:bg-accent-700">
          Search
        </button>
      </form>
      {query && (
        <p className="mt-4 text-sm text-stone-600 dark:text-stone-400" role="status">
          {hits.length === 0
            ? `Nothing found for “${query}”.`
            : hits.length === 50
              ? "The 50 newest matching messages, newest first."
              : `${hits.length} message${hits.length === 1 ? "" : "s"} found, newest first.`}
        </p>
      )}
      <p className="mt-2 text-sm text-stone-600 dark:text-stone-400">
        End-to-end encrypted messages are not searched: their text exists only in your browsers, never on this server.
      </p>
      <ul className="mt-3 divide-y divide-stone-200 dark:divide-stone-800" aria-label="Results">
        {hits.map((h) => (
          <li key={h.messageId}>
            <Link href={`/messages/${h.conversationId}?m=${h.messageId}#m-${h.messageId}`} className="block rounded-lg px-2 py-3 hover:bg-stone-100 dark:hover:bg-stone-800/60">
              <span className="flex justify-between gap-2 text-xs text-stone-600">
                <span>{h.direction === "out" ? "You" : (nameOf.get(h.authorId) ?? h.authorId)}</span>
                <time dateTime={h.published.toISOString()}>{h.published.toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" })}</time>
              </span>
              <span className="mt-1 block">
                <Snippet text={h.snippet} />
              </span>
            </Link>
          </li>
        ))}
      </ul>
    </div>
  );
}
