import Link from "next/link";
import type { ConversationSummary, Tab } from "@/lib/domain/inbox";
import { GroupAvatar } from "./person-avatar";
import { RelativeTime } from "./relative-time";

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

export function names(c: { participants: { name: string }[] }): string {
  return c.participants.map((p) => p.name).join(", ") || "Nobody";
}

export function ConversationList({
  tab,
  conversations,
  activeId,
  requestCount,
}: {
  tab: Tab;
  conversations: ConversationSummary[];
  activeId?: string;
  requestCount: number;
}) {
  const now = new Date();
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
      {conversations.length === 0 ? (
        <p className="px-4 py-8 text-center text-sm text-stone-600 dark:text-stone-400">{EMPTY[tab]}</p>
      ) : (
        <ul className="min-h-0 flex-1 overflow-y-auto" aria-label="Conversations">
          {conversations.map((c) => {
            const active = c.id === activeId;
            return (
              <li key={c.id}>
                <Link
                  href={`/messages/${c.id}`}
                  aria-current={active ? "page" : undefined}
                  className={`flex items-center gap-3 px-3 py-3 ${
                    active ? "bg-accent-50 dark:bg-accent-700/30" : "hover:bg-stone-100 dark:hover:bg-stone-800/60"
                  }`}
                >
                  <GroupAvatar people={c.participants} />
                  <span className="min-w-0 flex-1">
                    <span className="flex items-baseline justify-between gap-2">
                      <span className={`truncate ${c.unread ? "font-semibold" : "font-medium"}`}>{names(c)}</span>
                      <span className="shrink-0 text-xs text-stone-600 dark:text-stone-400">
                        <RelativeTime date={c.lastMessageAt} now={now} />
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
                    <span className="block truncate text-xs text-stone-600 dark:text-stone-400">
                      {c.participants.map((p) => p.handle).join(", ")}
                    </span>
                  </span>
                </Link>
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}
