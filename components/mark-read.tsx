"use client";

import { useRouter } from "next/navigation";
import { useEffect } from "react";
import { markReadAction } from "@/app/(owner)/messages/actions";

/** Marks the open conversation read once it is on screen, then refreshes the unread counts. */
export function MarkRead({ conversationId, unread }: { conversationId: string; unread: number }) {
  const router = useRouter();
  useEffect(() => {
    if (unread === 0) return;
    void markReadAction(conversationId).then(() => router.refresh());
  }, [conversationId, unread, router]);
  return null;
}
