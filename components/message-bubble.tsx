"use client";

import type { DeliveryView } from "@/lib/domain/inbox";
import { Avatar, type AvatarData } from "./avatar";
import { DeliveryStatus } from "./delivery-status";
import { MessageActions } from "./message-actions";

// One message of a thread. A client component for the same reason as the
// conversation rows: the page's RSC payload then carries these fields once
// instead of the bubble's element tree. Everything is worked out on the
// server (the time in the server's words, image URLs through the media
// proxy), so hydration renders exactly what the server did.

type BubbleAttachment = { image: string | null; href: string; label: string };

export type BubbleData = {
  id: string;
  mine: boolean;
  deleted: boolean;
  /** Sanitised when stored (lib/activitypub/html.ts). */
  html: string;
  summary: string | null;
  attachments: BubbleAttachment[];
  time: { text: string; iso: string; title: string };
  edited: boolean;
  deliveries: DeliveryView[];
  /** In a group, who wrote an incoming message. */
  author: AvatarData | null;
};

export function MessageBubble({ m, highlight }: { m: BubbleData; highlight: boolean }) {
  const { mine } = m;
  return (
    <li id={`m-${m.id}`} className={`flex gap-2 ${mine ? "justify-end" : "justify-start"} scroll-mt-24`}>
      {!mine && m.author && <Avatar src={m.author.src} name={m.author.name} size={28} />}
      <div className={`flex max-w-[85%] flex-col sm:max-w-[70%] ${mine ? "items-end" : "items-start"}`}>
        {!mine && m.author && <span className="mb-0.5 px-1 text-xs text-stone-600">{m.author.name}</span>}
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
              <div className="message-body break-words [&_p+p]:mt-2" dangerouslySetInnerHTML={{ __html: m.html }} />
              {m.attachments.length > 0 && (
                <ul className="mt-2 space-y-2">
                  {m.attachments.map((a) => (
                    <li key={a.href}>
                      {a.image ? (
                        // eslint-disable-next-line @next/next/no-img-element -- proxied, size-limited remote image
                        <img src={a.image} alt={a.label} className="max-h-80 rounded-lg" loading="lazy" />
                      ) : (
                        <a href={a.href} rel="noopener nofollow noreferrer" target="_blank">
                          {a.label}
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
          <time dateTime={m.time.iso} title={m.time.title}>
            {m.time.text}
          </time>
          {m.edited && !m.deleted && <span>· edited</span>}
          {mine && !m.deleted && <DeliveryStatus deliveries={m.deliveries} />}
          {mine && !m.deleted && <MessageActions messageId={m.id} />}
        </div>
      </div>
    </li>
  );
}
