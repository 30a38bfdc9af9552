"use client";

import { useRouter } from "next/navigation";
import { useEffect } from "react";

/**
 * Keeps the page current without reloading: the server sends "change" over
 * Server-Sent Events and the page re-renders its server components in place.
 * Also puts the unread count in the tab title.
 */
export function LiveRefresh({ unread }: { unread: number }) {
  const router = useRouter();

  useEffect(() => {
    const source = new EventSource("/api/events");
    let pending: ReturnType<typeof setTimeout> | undefined;
    source.addEventListener("change", () => {
      // Several changes in a burst → one refresh.
      clearTimeout(pending);
      pending = setTimeout(() => router.refresh(), 150);
    });
    return () => {
      clearTimeout(pending);
      source.close();
    };
  }, [router]);

  useEffect(() => {
    const base = document.title.replace(/^\(\d+\) /, "");
    document.title = unread > 0 ? `(${unread}) ${base}` : base;
  });

  return null;
}
