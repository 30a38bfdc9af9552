import Link from "next/link";

/**
 * Two panes on wide screens (list | content); one at a time on phones: the
 * list on /messages, the thread on /messages/ID.
 */
export function MessagesShell({ list, children, showListOnMobile = false }: { list: React.ReactNode; children: React.ReactNode; showListOnMobile?: boolean }) {
  return (
    <div className="flex h-full min-h-0">
      <aside
        aria-label="Conversations"
        className={`${showListOnMobile ? "flex" : "hidden"} w-full min-h-0 flex-col border-stone-200 pt-2 md:flex md:w-80 md:shrink-0 md:border-r lg:w-96 dark:border-stone-800`}
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
      <div className={`${showListOnMobile ? "hidden md:block" : "block"} min-h-0 min-w-0 flex-1 overflow-y-auto`}>{children}</div>
    </div>
  );
}
