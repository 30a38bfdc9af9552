"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";

const NAV = [
  { href: "/messages", label: "Messages" },
  { href: "/search", label: "Search" },
  { href: "/people", label: "People" },
  { href: "/settings", label: "Settings" },
];

/** The owner's sections; the one the page belongs to is marked for screen readers and by sight. */
export function MainNav({ inboxUnread }: { inboxUnread: number }) {
  const pathname = usePathname();
  return (
    <nav aria-label="Main" className="flex min-w-0 gap-0.5 overflow-x-auto text-sm">
      {NAV.map((n) => {
        const current = pathname === n.href || pathname.startsWith(n.href + "/");
        return (
          <Link
            key={n.href}
            href={n.href}
            aria-current={current ? "page" : undefined}
            className={`whitespace-nowrap rounded-md px-1 py-2 hover:bg-stone-100 sm:px-2.5 dark:hover:bg-stone-800 ${
              current ? "bg-stone-100 text-stone-900 sm:font-semibold dark:bg-stone-800 dark:text-stone-50" : ""
            }`}
          >
            {n.label}
            {n.href === "/messages" && inboxUnread > 0 && (
              <span className="ml-1 rounded-full bg-accent-600 px-1.5 text-xs font-semibold text-white">
                {inboxUnread}
                <span className="sr-only"> unread</span>
              </span>
            )}
          </Link>
        );
      })}
    </nav>
  );
}
