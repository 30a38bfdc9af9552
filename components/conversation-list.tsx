import Link from "next/link";
import type { ConversationSummary, Tab } from "@/lib/domain/conversation-list";
import { personAvatar } from "./person-avatar";
import { ConversationRows, type ConversationRowData } from "./conversation-row";
import { relativeTime } from "./relative-time";

const TABS: { tab: Tab; label: string; href: string }[] = [
  { tab: "inbox", label: "Conversations", href: "/messages" },
  { tab: "requests", label: "Requests", href: "/messages?tab=requests" },
  { tab: "archived", label: "Archived", href: "/messages?tab=archived" },
];

const EMPTY: Record<Tab, string> = {
  inbox: "No conversations yet.",
  requests: "No message requests. Messages from people you neither follow nor have written to land here first.",
  archived: "Nothing archived.",
};

/** A folder's URL; `before` picks an older page of it. */
function folderHref(tab: Tab, before?: string): string {
  const q = new URLSearchParams();
  if (tab !== "inbox") q.set("tab", tab);
  if (before) q.set("before", before);
  const qs = q.toString();
  return qs ? `/messages?${qs}` : "/messages";
}

/** The look of the paging links under the list and in a thread. */
export const PAGE_LINK =
  "inline-flex min-h-11 items-center rounded-lg px-3 text-sm font-medium text-accent-700 underline-offset-2 hover:bg-stone-100 hover:underline dark:text-accent-300 dark:hover:bg-stone-800";

export function names(c: { participants: { name: string }[] }): string {
  return c.participants.map((p) => p.name).join(", ") || "Nobody";
}

function rowData(c: ConversationSummary, now: Date): ConversationRowData {
  return {
    id: c.id,
    title: names(c),
    handles: c.participants.map((p) => p.handle).join(", "),
    time: relativeTime(c.lastMessageAt, now),
    preview: c.preview,
    previewFromMe: c.previewFromMe,
    unread: c.unread,
    avatars: c.participants.slice(0, 2).map(personAvatar),
  };
}

export function ConversationList({
  tab,
  conversations,
  activeId,
  requestCount,
  older = null,
  before,
  quietWhenEmpty = false,
}: {
  tab: Tab;
  conversations: ConversationSummary[];
  activeId?: string;
  requestCount: number;
  /** Cursor of the next, older page; null when this page holds the oldest. */
  older?: string | null;
  /** The cursor this page was asked for: an older page, not the folder's newest. */
  before?: string;
  /** Say nothing for an empty folder: the page beside the list already explains it. */
  quietWhenEmpty?: boolean;
}) {
  const now = new Date();
  const paged = before !== undefined;
  return (
    <div className="flex min-h-0 flex-col">
      <div className="flex items-center justify-between gap-2 px-3 pb-2 pt-1">
        <nav aria-label="Conversation folders" className="flex gap-1 overflow-x-auto text-sm">
          {TABS.map((t) => (
            <Link
              key={t.tab}
              href={t.href}
              aria-current={t.tab === tab ? "page" : undefined}
              className={`whitespace-nowrap rounded-full px-3 py-1.5 ${
                t.tab === tab
                  ? "bg-stone-900 text-white dark:bg-stone-100 dark:text-stone-900"
                  : "text-stone-700 hover:bg-stone-100 dark:text-stone-300 dark:hover:bg-stone-800"
              }`}
            >
              {t.label}
              {t.tab === "requests" && requestCount > 0 && (
                <span className="ml-1.5 rounded-full bg-amber-500 px-1.5 text-xs font-semibold text-white">{requestCount}</span>
              )}
            </Link>
          ))}
        </nav>
      </div>
      {/* Keyed by page: the next page opens at its top, not scrolled down to where its link was. */}
      <div key={before ?? "newest"} className="min-h-0 flex-1 overflow-y-auto">
        {conversations.length === 0 ? (
          quietWhenEmpty ? null : <p className="px-4 py-8 text-center text-sm text-stone-600 dark:text-stone-400">{paged ? "No older conversations." : EMPTY[tab]}</p>
        ) : (
          <ConversationRows rows={conversations.map((c) => rowData(c, now))} activeId={activeId} />
        )}
        {(older || paged) && (
          // Plain links: paging works without JavaScript, and a live refresh re-renders the page the URL names.
          <nav aria-label="More conversations" className="flex flex-wrap items-center justify-between gap-2 border-t border-stone-200 px-2 py-2 dark:border-stone-800">
            {paged ? (
              <Link href={folderHref(tab)} className={PAGE_LINK}>
                Newest conversations
              </Link>
            ) : (
              <span />
            )}
            {older && (
              <Link href={folderHref(tab, older)} className={PAGE_LINK}>
                Older conversations
              </Link>
            )}
          </nav>
        )}
      </div>
    </div>
  );
}
