import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { cache } from "react";
import { ConversationList, names } from "@/components/conversation-list";
import { ThreadPane } from "@/components/thread-view";
import { requireOwner } from "@/lib/auth";
import { MarkRead } from "@/components/mark-read";
import { conversationPage } from "@/lib/domain/conversation-list";
import { getThread } from "@/lib/domain/thread-page";
import { requestTabCounts } from "../../tab-counts";
import { MessagesShell } from "../shell";

type Params = Promise<{ id: string }>;
type SearchParams = Promise<{ m?: string | string[]; before?: string | string[] }>;

function one(v: string | string[] | undefined): string | undefined {
  return typeof v === "string" && v ? v.slice(0, 100) : undefined;
}

// generateMetadata and the page both need the thread; cache() makes that one load per request.
const loadThread = cache((id: string, before: string | undefined, around: string | undefined) => getThread(id, { before, around }));

async function threadFor(params: Params, searchParams: SearchParams) {
  const { id } = await params;
  const sp = await searchParams;
  const before = one(sp.before);
  const m = one(sp.m);
  // `before` is where "Load earlier" leads; `m` (a search hit) only picks the page when there is no `before`.
  const around = before ? undefined : m;
  return { id, m, pageKey: before ? `before:${before}` : around ? `around:${around}` : "newest", thread: await loadThread(id, before, around) };
}

export async function generateMetadata({ params, searchParams }: { params: Params; searchParams: SearchParams }): Promise<Metadata> {
  await requireOwner();
  const { thread } = await threadFor(params, searchParams);
  return { title: thread ? names(thread) : "Conversation" };
}

export default async function ThreadPage({ params, searchParams }: { params: Params; searchParams: SearchParams }) {
  await requireOwner();
  const { id, m, pageKey, thread } = await threadFor(params, searchParams);
  if (!thread) notFound();
  const tab = thread.isRequest ? "requests" : thread.archived ? "archived" : "inbox";
  const [list, counts] = await Promise.all([conversationPage(tab), requestTabCounts()]);
  return (
    <MessagesShell list={<ConversationList tab={tab} conversations={list.conversations} older={list.older} activeId={id} requestCount={counts.requests} />}>
      <ThreadPane thread={thread} highlight={m} pageKey={pageKey} />
      {/* Opening a conversation reads it; requests stay unread until accepted. */}
      {!thread.isRequest && <MarkRead conversationId={id} unread={thread.unread} />}
    </MessagesShell>
  );
}
