"use client";

import { useRouter } from "next/navigation";
import { useEffect } from "react";
import { CHANGE_EVENT } from "./e2ee/engine-context";

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
      // The encryption device (components/e2ee/engine-context.tsx) syncs on the same signal.
      window.dispatchEvent(new Event(CHANGE_EVENT));
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
