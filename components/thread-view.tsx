import Link from "next/link";
import type { MessageView, ThreadView } from "@/lib/domain/thread-page";
import { proxiedMediaUrl } from "@/lib/domain/media-proxy-url";
import { Composer } from "./composer";
import { ThreadEncryptionNote } from "./e2ee/thread-encryption";
import { names, PAGE_LINK } from "./conversation-list";
import { MessageBubble, type BubbleData } from "./message-bubble";
import { GroupAvatar, personAvatar } from "./person-avatar";
import { RelativeTime } from "./relative-time";
import { RequestActions, ThreadMenu } from "./thread-actions";

function dayLabel(d: Date, now: Date): string {
  const sameDay = (a: Date, b: Date) => a.toDateString() === b.toDateString();
  if (sameDay(d, now)) return "Today";
  const y = new Date(now);
  y.setDate(now.getDate() - 1);
  if (sameDay(d, y)) return "Yesterday";
  return d.toLocaleDateString("en-GB", { weekday: "long", day: "numeric", month: "long", year: d.getFullYear() === now.getFullYear() ? undefined : "numeric" });
}

/** What the client bubble shows, all worked out here (see components/message-bubble.tsx). */
function bubbleData(m: MessageView, group: boolean): BubbleData {
  const mine = m.direction === "out";
  return {
    id: m.id,
    mine,
    deleted: m.deleted,
    html: m.deleted ? "" : m.html,
    summary: m.deleted ? null : m.summary,
    sensitive: m.sensitive,
    attachments: m.deleted
      ? []
      : m.attachments.map((a) => ({
          image: a.kind === "image" ? proxiedMediaUrl(a.url) : null,
          href: a.url,
          label: a.kind === "image" ? (a.alt ?? "Image attachment") : a.alt || `Attachment (${a.mediaType ?? a.kind})`,
        })),
    time: {
      text: m.published.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" }),
      iso: m.published.toISOString(),
      title: m.published.toUTCString(),
    },
    edited: m.updated !== null,
    deliveries: mine ? m.deliveries : [],
    author: !mine && group && m.author ? personAvatar(m.author) : null,
    encrypted: m.encrypted,
  };
}

/**
 * `pageKey` names the page the URL asked for (newest, before X, around Y): a
 * new page remounts the message log so it opens scrolled to its newest
 * message, while a live refresh of the same page keeps the reader's place.
 */
export function ThreadPane({ thread, highlight, pageKey = "newest" }: { thread: ThreadView; highlight?: string; pageKey?: string }) {
  const now = new Date();
  const group = thread.participants.length > 1;
  const days: { label: string; messages: MessageView[] }[] = [];
  for (const m of thread.messages) {
    const label = dayLabel(m.published, now);
    if (days.at(-1)?.label !== label) days.push({ label, messages: [] });
    days.at(-1)!.messages.push(m);
  }
  const others = thread.readableBy.slice(1);
  return (
    <section aria-labelledby="thread-title" className="flex h-full min-h-0 flex-col">
      <header className="flex items-center gap-3 border-b border-stone-200 px-4 py-3 dark:border-stone-800">
        <Link href="/messages" className="rounded-md px-2 py-1 text-sm md:hidden" aria-label="Back to conversations">
          ←
        </Link>
        <GroupAvatar people={thread.participants} size={40} />
        <div className="min-w-0 flex-1">
          <h1 id="thread-title" className="truncate font-semibold">
            {names(thread)}
          </h1>
          <p className="truncate text-xs text-stone-600 dark:text-stone-400">{thread.participants.map((p) => p.handle).join(", ")}</p>
        </div>
        <ThreadMenu conversationId={thread.id} archived={thread.archived} />
      </header>

      {thread.encrypted ? (
        <ThreadEncryptionNote conversationId={thread.id} people={thread.participants.map((p) => p.name)} plaintextEarlier={thread.hasPlaintext ? others : []} />
      ) : (
        <details className="border-b border-stone-200 bg-stone-50 px-4 py-2 text-xs text-stone-700 dark:border-stone-800 dark:bg-stone-900/60 dark:text-stone-300">
          <summary className="cursor-pointer select-none">
            <span className="font-medium">Readable by:</span> you{others.length > 0 ? `, the admins of ${others.join(", ")}` : ""}
          </summary>
          <p className="mt-1 max-w-prose">
            This conversation is stored on this server ({thread.readableBy[0]}), which you control, and on{" "}
            {others.length > 0 ? others.join(", ") : "no other server"}. Whoever runs those servers can read it. It is not
            end-to-end encrypted.
          </p>
        </details>
      )}

      {thread.isRequest && <RequestActions conversationId={thread.id} people={thread.participants} />}

      <div key={pageKey} role="log" aria-label="Messages" className="flex min-h-0 flex-1 flex-col-reverse overflow-y-auto px-3 py-4">
        {/* column-reverse keeps the newest message in view as messages arrive, without jumping */}
        <div className="space-y-4">
          {thread.earlier && (
            <p className="text-center">
              <Link href={`/messages/${thread.id}?before=${encodeURIComponent(thread.earlier)}`} className={PAGE_LINK}>
                Load earlier messages
              </Link>
            </p>
          )}
          {days.map((d) => (
            <div key={d.label}>
              <p className="my-2 text-center text-xs font-medium text-stone-600">{d.label}</p>
              <ul className="space-y-2">
                {d.messages.map((m) => (
                  <MessageBubble key={m.id} m={bubbleData(m, group)} highlight={m.id === highlight} />
                ))}
              </ul>
            </div>
          ))}
          {thread.messages.length === 0 && <p className="text-center text-sm text-stone-600">No messages.</p>}
          {thread.later && (
            // An older page does not take new messages live; these lead forward to where they arrive.
            <p className="flex flex-wrap justify-center gap-2 text-center">
              {thread.newer && (
                <Link href={`/messages/${thread.id}?before=${encodeURIComponent(thread.newer)}`} className={PAGE_LINK}>
                  Newer messages
                </Link>
              )}
              <Link href={`/messages/${thread.id}`} className={PAGE_LINK}>
                Jump to newest messages
              </Link>
            </p>
          )}
        </div>
      </div>

      <Composer
        conversationId={thread.id}
        disabled={thread.participants.some((p) => p.gone)}
        showingNewest={!thread.later}
        participants={thread.participants.map((p) => p.id)}
        encryptedThread={thread.encrypted}
      />
      <p className="sr-only" aria-live="polite">
        {thread.later ? "Earlier messages: " : ""}
        {thread.messages.length} messages, last at <RelativeTime date={thread.messages.at(-1)?.published ?? now} now={now} />
      </p>
    </section>
  );
}
