import Link from "next/link";
import type { MessageView, ThreadView } from "@/lib/domain/inbox";
import { proxiedMediaUrl } from "@/lib/domain/media-proxy-url";
import { Composer } from "./composer";
import { DeliveryStatus } from "./delivery-status";
import { MessageActions } from "./message-actions";
import { GroupAvatar, PersonAvatar } from "./person-avatar";
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

function Bubble({ m, group, highlight }: { m: MessageView; group: boolean; highlight: boolean }) {
  const mine = m.direction === "out";
  const time = m.published.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
  return (
    <li id={`m-${m.id}`} className={`flex gap-2 ${mine ? "justify-end" : "justify-start"} scroll-mt-24`}>
      {!mine && (group && m.author ? <PersonAvatar person={m.author} size={28} /> : null)}
      <div className={`flex max-w-[85%] flex-col sm:max-w-[70%] ${mine ? "items-end" : "items-start"}`}>
        {!mine && group && m.author && <span className="mb-0.5 px-1 text-xs text-stone-600">{m.author.name}</span>}
        <div
          className={`rounded-2xl px-3.5 py-2 ${
            m.deleted
              ? "border border-dashed border-stone-300 bg-transparent italic text-stone-600 dark:border-stone-700"
              : mine
                ? "rounded-br-md bg-accent-600 text-white [&_a]:text-white [&_a]:underline"
                : "rounded-bl-md bg-white text-stone-900 shadow-sm dark:bg-stone-800 dark:text-stone-100 [&_a]:text-accent-700 [&_a]:underline dark:[&_a]:text-accent-300"
          } ${
            // One ring class set or the other: two ring widths/colours on one element resolve by stylesheet order, not by intent.
            highlight ? "ring-4 ring-amber-400" : !mine && !m.deleted ? "ring-1 ring-stone-200 dark:ring-stone-700" : ""
          }`}
        >
          {m.deleted ? (
            <p>This message was deleted.</p>
          ) : (
            <>
              {m.summary && <p className="mb-1 text-sm font-semibold">CW: {m.summary}</p>}
              {/* Remote HTML was sanitised with an allow-list before it was stored (lib/activitypub/html.ts). */}
              <div className="message-body break-words [&_p+p]:mt-2" dangerouslySetInnerHTML={{ __html: m.html }} />
              {m.attachments.length > 0 && (
                <ul className="mt-2 space-y-2">
                  {m.attachments.map((a) => (
                    <li key={a.url}>
                      {a.kind === "image" ? (
                        // eslint-disable-next-line @next/next/no-img-element -- proxied, size-limited remote image
                        <img src={proxiedMediaUrl(a.url)} alt={a.alt ?? "Image attachment"} className="max-h-80 rounded-lg" loading="lazy" />
                      ) : (
                        <a href={a.url} rel="noopener nofollow noreferrer" target="_blank">
                          {a.alt || `Attachment (${a.mediaType ?? a.kind})`}
                        </a>
                      )}
                    </li>
                  ))}
                </ul>
              )}
            </>
          )}
        </div>
        <div className="mt-0.5 flex flex-wrap items-center gap-x-2 px-1 text-xs text-stone-600 dark:text-stone-400">
          <time dateTime={m.published.toISOString()} title={m.published.toUTCString()}>
            {time}
          </time>
          {m.updated && !m.deleted && <span>· edited</span>}
          {mine && !m.deleted && <DeliveryStatus deliveries={m.deliveries} />}
          {mine && !m.deleted && <MessageActions messageId={m.id} />}
        </div>
      </div>
    </li>
  );
}

const PAGE_LINK =
  "inline-flex min-h-11 items-center rounded-lg px-3 text-sm font-medium text-accent-700 underline-offset-2 hover:bg-stone-100 hover:underline dark:text-accent-300 dark:hover:bg-stone-800";

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
            {thread.participants.map((p) => p.name).join(", ")}
          </h1>
          <p className="truncate text-xs text-stone-600 dark:text-stone-400">{thread.participants.map((p) => p.handle).join(", ")}</p>
        </div>
        <ThreadMenu conversationId={thread.id} archived={thread.archived} />
      </header>

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
                  <Bubble key={m.id} m={m} group={group} highlight={m.id === highlight} />
                ))}
              </ul>
            </div>
          ))}
          {thread.messages.length === 0 && <p className="text-center text-sm text-stone-600">No messages.</p>}
          {thread.later && (
            // An older page does not take new messages live; this is the way back to where they arrive.
            <p className="text-center">
              <Link href={`/messages/${thread.id}`} className={PAGE_LINK}>
                Jump to newest messages
              </Link>
            </p>
          )}
        </div>
      </div>

      <Composer conversationId={thread.id} disabled={thread.participants.some((p) => p.gone)} showingNewest={!thread.later} />
      <p className="sr-only" aria-live="polite">
        {thread.later ? "Earlier messages: " : ""}
        {thread.messages.length} messages, last at <RelativeTime date={thread.messages.at(-1)?.published ?? now} now={now} />
      </p>
    </section>
  );
}
