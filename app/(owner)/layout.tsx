import Link from "next/link";
import { Avatar } from "@/components/avatar";
import { Brand } from "@/components/brand";
import { E2eeReady } from "@/components/e2ee-ready";
import { LiveRefresh } from "@/components/live-refresh";
import { LogoutButton } from "@/components/logout-button";
import { MainNav } from "@/components/main-nav";
import { ServiceWorker } from "@/components/service-worker";
import { requireOwner } from "@/lib/auth";
import { env } from "@/lib/env";
import { requestTabCounts } from "./tab-counts";
import { handleFor } from "@/lib/domain/public-address";

export const dynamic = "force-dynamic";

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
        <div className="mx-auto flex max-w-6xl items-center gap-x-1 px-1.5 py-2 sm:gap-x-3 sm:px-3">
          {/* At phone width the mark alone keeps the logo; the wordmark needs the room for the sections. */}
          <Link href="/messages" aria-label="Moiety" className="shrink-0 rounded">
            <Brand wordmarkClassName="hidden sm:inline" />
          </Link>
          <MainNav inboxUnread={counts.inboxUnread} />
          <div className="ml-auto flex min-w-0 shrink-0 items-center gap-2">
            <Avatar src={owner.avatarFile ? `/media/${owner.avatarFile}` : null} name={owner.displayName} size={28} />
            <span className="hidden min-w-0 truncate text-sm text-stone-600 lg:inline dark:text-stone-400">
              {handleFor(owner.username, env().origin)}
            </span>
            {/* On phones "Log out" is in Settings: the logo and the four sections need the width. */}
            <span className="hidden sm:contents">
              <LogoutButton />
            </span>
          </div>
        </div>
      </header>
      <main id="main" className="mx-auto min-h-0 w-full max-w-6xl flex-1 overflow-y-auto">
        {children}
      </main>
      <LiveRefresh unread={counts.inboxUnread} />
      <ServiceWorker />
      <E2eeReady />
    </div>
  );
}
