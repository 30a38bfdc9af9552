import Link from "next/link";
import { Avatar } from "@/components/avatar";
import { Brand } from "@/components/brand";
import { LogoutButton } from "@/components/logout-button";
import { requireOwner } from "@/lib/auth";
import { env } from "@/lib/env";
import { handleFor } from "@/lib/domain/public-address";

export const dynamic = "force-dynamic";

export default async function OwnerLayout({ children }: { children: React.ReactNode }) {
  const owner = await requireOwner();
  return (
    <div className="flex min-h-dvh flex-col">
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-10 focus:rounded focus:bg-white focus:px-3 focus:py-2 dark:focus:bg-stone-900"
      >
        Skip to content
      </a>
      <header className="border-b border-stone-200 bg-white dark:border-stone-800 dark:bg-stone-900">
        <div className="mx-auto flex max-w-5xl flex-wrap items-center gap-x-4 gap-y-2 px-4 py-3">
          <Link href="/messages" className="rounded">
            <Brand />
          </Link>
          <nav aria-label="Main" className="flex gap-1 text-sm">
            <Link href="/messages" className="rounded-md px-3 py-2 hover:bg-stone-100 dark:hover:bg-stone-800">
              Messages
            </Link>
            <Link href="/settings" className="rounded-md px-3 py-2 hover:bg-stone-100 dark:hover:bg-stone-800">
              Settings
            </Link>
          </nav>
          <div className="ml-auto flex min-w-0 items-center gap-3">
            <Avatar src={owner.avatarFile ? `/media/${owner.avatarFile}` : null} name={owner.displayName} size={32} />
            <span className="hidden min-w-0 truncate text-sm text-stone-600 sm:inline dark:text-stone-400">
              {handleFor(owner.username, env().origin)}
            </span>
            <LogoutButton />
          </div>
        </div>
      </header>
      <main id="main" className="mx-auto w-full max-w-5xl flex-1 px-4 py-6">
        {children}
      </main>
    </div>
  );
}
