import Link from "next/link";
import { Avatar } from "@/components/avatar";
import { Brand } from "@/components/brand";
import { LiveRefresh } from "@/components/live-refresh";
import { LogoutButton } from "@/components/logout-button";
import { requireOwner } from "@/lib/auth";
import { env } from "@/lib/env";
import { requestTabCounts } from "./tab-counts";
import { handleFor } from "@/lib/domain/public-address";

export const dynamic = "force-dynamic";

const NAV = [
  { href: "/messages", label: "Messages" },
  { href: "/search", label: "Search" },
  { href: "/people", label: "People" },
  { href: "/settings", label: "Settings" },
];

export default async function OwnerLayout({ children }: { children: React.ReactNode }) {
  const owner = await requireOwner();
  const counts = await requestTabCounts();
  return (
    <div className="flex h-dvh flex-col">
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-10 focus:rounded focus:bg-white focus:px-3 focus:py-2 dark:focus:bg-stone-900"
      >
        Skip to content
      </a>
      <header className="shrink-0 border-b border-stone-200 bg-white dark:border-stone-800 dark:bg-stone-900">
        <div className="mx-auto flex max-w-6xl items-center gap-x-1 px-2 py-2 sm:gap-x-3 sm:px-3">
          <Link href="/messages" className="hidden rounded sm:block">
            <Brand />
          </Link>
          <nav aria-label="Main" className="flex min-w-0 gap-0.5 overflow-x-auto text-sm">
            {NAV.map((n) => (
              <Link key={n.href} href={n.href} className="whitespace-nowrap rounded-md px-1.5 py-2 hover:bg-stone-100 sm:px-2.5 dark:hover:bg-stone-800">
                {n.label}
                {n.href === "/messages" && counts.inboxUnread > 0 && (
                  <span className="ml-1 rounded-full bg-accent-600 px-1.5 text-xs font-semibold text-white">
                    {counts.inboxUnread}
                    <span className="sr-only"> unread</span>
                  </span>
                )}
              </Link>
            ))}
          </nav>
          <div className="ml-auto flex min-w-0 shrink-0 items-center gap-2">
            {/* At phone width the four sections and "Log out" need all the room. */}
            <span className="hidden sm:contents">
              <Avatar src={owner.avatarFile ? `/media/${owner.avatarFile}` : null} name={owner.displayName} size={28} />
            </span>
            <span className="hidden min-w-0 truncate text-sm text-stone-600 lg:inline dark:text-stone-400">
              {handleFor(owner.username, env().origin)}
            </span>
            <LogoutButton />
          </div>
        </div>
      </header>
      <main id="main" className="mx-auto min-h-0 w-full max-w-6xl flex-1 overflow-y-auto">
        {children}
      </main>
      <LiveRefresh unread={counts.inboxUnread} />
    </div>
  );
}
