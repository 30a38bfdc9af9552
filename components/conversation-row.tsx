"use client";

import Link from "next/link";
import { AvatarGroup, type AvatarData } from "./avatar";

// One row of the conversation list. A client component on purpose: the
// server sends these few strings per row in the page's RSC payload instead of
// the whole element tree with its class names, which made the list the
// biggest part of every messages page (~1.7 KB per row twice over, HTML and
// payload). Every string is worked out on the server (times in the server's
// words, avatar URLs through the media proxy), so hydration renders the same.

export type ConversationRowData = {
  id: string;
  title: string;
  handles: string;
  time: { text: string; iso: string; title: string };
  preview: string;
  previewFromMe: boolean;
  unread: number;
  avatars: AvatarData[];
};

export function ConversationRows({ rows, activeId }: { rows: ConversationRowData[]; activeId?: string }) {
  return (
    <ul aria-label="Conversations">
      {rows.map((c) => {
        const active = c.id === activeId;
        return (
          <li key={c.id}>
            <Link
              href={`/messages/${c.id}`}
              aria-current={active ? "page" : undefined}
              className={`flex items-center gap-3 px-3 py-3 ${active ? "bg-accent-50 dark:bg-accent-700/30" : "hover:bg-stone-100 dark:hover:bg-stone-800/60"}`}
            >
              <AvatarGroup avatars={c.avatars} />
              <span className="min-w-0 flex-1">
                <span className="flex items-baseline justify-between gap-2">
                  <span className={`truncate ${c.unread ? "font-semibold" : "font-medium"}`}>{c.title}</span>
                  <span className="shrink-0 text-xs text-stone-600 dark:text-stone-400">
                    <time dateTime={c.time.iso} title={c.time.title}>
                      {c.time.text}
                    </time>
                  </span>
                </span>
                <span className="flex items-center justify-between gap-2">
                  <span className={`truncate text-sm ${c.unread ? "text-stone-900 dark:text-stone-100" : "text-stone-600 dark:text-stone-400"}`}>
                    {c.previewFromMe && <span className="text-stone-600">You: </span>}
                    {c.preview || <span className="italic">No messages</span>}
                  </span>
                  {c.unread > 0 && (
                    <span className="shrink-0 rounded-full bg-accent-600 px-2 py-0.5 text-xs font-semibold text-white">
                      {c.unread}
                      <span className="sr-only"> unread</span>
                    </span>
                  )}
                </span>
                <span className="block truncate text-xs text-stone-600 dark:text-stone-400">{c.handles}</span>
              </span>
            </Link>
          </li>
        );
      })}
    </ul>
  );
}
