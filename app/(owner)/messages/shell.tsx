import Link from "next/link";

/**
 * Two panes on wide screens (list | content). On phones: the list on /messages, the thread on
 * /messages/ID, or both one above the other (`mobile="both"`) when the content is something the
 * owner must see first, such as the welcome and the address check.
 */
export function MessagesShell({ list, children, mobile = "content" }: { list: React.ReactNode; children: React.ReactNode; mobile?: "list" | "content" | "both" }) {
  const both = mobile === "both";
  return (
    <div className={`flex h-full min-h-0 ${both ? "flex-col overflow-y-auto md:flex-row md:overflow-visible" : ""}`}>
      <aside
        aria-label="Conversations"
        className={`${mobile === "content" ? "hidden" : "flex"} ${both ? "order-2 md:order-none" : "min-h-0"} w-full flex-col border-stone-200 pt-2 md:flex md:min-h-0 md:w-80 md:shrink-0 md:border-r lg:w-96 dark:border-stone-800`}
      >
        <div className="flex items-center justify-between px-3 pb-2">
          <span className="text-sm font-semibold text-stone-500 md:hidden" aria-hidden>
            Messages
          </span>
          <Link href="/messages/new" className="ml-auto inline-flex min-h-9 items-center rounded-lg bg-accent-600 px-3 text-sm font-medium text-white hover:bg-accent-700">
            New message
          </Link>
        </div>
        {list}
      </aside>
      <div
        className={`${mobile === "list" ? "hidden md:block" : "block"} ${
          both ? "order-1 shrink-0 md:order-none md:shrink" : ""
        } min-h-0 min-w-0 md:flex-1 md:overflow-y-auto ${both ? "" : "flex-1 overflow-y-auto"}`}
      >
        {children}
      </div>
    </div>
  );
}
