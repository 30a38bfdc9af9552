"use client";

import type { ReactNode } from "react";
import { Avatar, type AvatarData } from "./avatar";
import { DeliveryStatus } from "./delivery-status";
import type { DeliveryView } from "@/lib/domain/thread-page";

type BubbleAttachment = { image: string | null; href: string; label: string };

export type BubbleData = {
  id: string;
  mine: boolean;
  deleted: boolean;
  /** Sanitised when stored (lib/activitypub/html.ts). */
  html: string;
  /** A content warning: the text and images stay folded behind it until opened. */
  summary: string | null;
  /** The images stay hidden until opened. */
  sensitive: boolean;
  attachments: BubbleAttachment[];
  time: { text: string; iso: string; title: string };
  edited: boolean;
  deliveries: DeliveryView[];
  /** In a group, who wrote an incoming message. */
  author: AvatarData | null;
  /** End-to-end encrypted: the server has only a placeholder; this browser decrypts it. */
  encrypted: boolean;
};

/**
 * The frame every message bubble shares — side, colours, author, time, delivery
 * state — around a body and actions that differ: a stored message's sanitised
 * HTML (message-bubble.tsx) or an encrypted one's text from this browser
 * (components/e2ee/encrypted-message.tsx).
 */
export function BubbleFrame({
  m,
  highlight,
  deleted,
  edited,
  body,
  actions,
}: {
  m: BubbleData;
  highlight: boolean;
  deleted: boolean;
  edited: boolean;
  body: ReactNode;
  actions: ReactNode;
}) {
  const { mine } = m;
  return (
    <li id={`m-${m.id}`} className={`flex gap-2 ${mine ? "justify-end" : "justify-start"} scroll-mt-24`}>
      {!mine && m.author && <Avatar src={m.author.src} name={m.author.name} size={28} />}
      <div className={`flex max-w-[85%] flex-col sm:max-w-[70%] ${mine ? "items-end" : "items-start"}`}>
        {!mine && m.author && <span className="mb-0.5 px-1 text-xs text-stone-600">{m.author.name}</span>}
        <div
          className={`rounded-2xl px-3.5 py-2 ${
            deleted
              ? "border border-dashed border-stone-300 bg-transparent italic text-stone-600 dark:border-stone-700"
              : mine
                ? "rounded-br-md bg-accent-600 text-white [&_a]:text-white [&_a]:underline"
                : "rounded-bl-md bg-white text-stone-900 shadow-sm dark:bg-stone-800 dark:text-stone-100 [&_a]:text-accent-700 [&_a]:underline dark:[&_a]:text-accent-300"
          } ${
            // One ring class set or the other: two ring widths/colours on one element resolve by stylesheet order, not by intent.
            highlight ? "ring-4 ring-amber-400" : !mine && !deleted ? "ring-1 ring-stone-200 dark:ring-stone-700" : ""
          }`}
        >
          {deleted ? <p>This message was deleted.</p> : body}
        </div>
        <div className="mt-0.5 flex flex-wrap items-center gap-x-2 px-1 text-xs text-stone-600 dark:text-stone-400">
          <time dateTime={m.time.iso} title={m.time.title}>
            {m.time.text}
          </time>
          {edited && !deleted && <span>· edited</span>}
          {mine && !deleted && <DeliveryStatus deliveries={m.deliveries} />}
          {mine && !deleted && actions}
        </div>
      </div>
    </li>
  );
}
